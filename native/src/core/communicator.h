// Data-parallel training's one dependency on the outside world (issue 16, docs/SCALING.md):
// the ranks of a job and the collectives the trainer needs. Three implementations, one
// interface, and the trainer sees only this one:
//   - single process (size 1, every collective the identity): today's behaviour, no dependency;
//   - MPI (native/plugins/mpi: liblayerprune_mpi.so, linked against Open MPI): processes on CPUs,
//     loaded at run time by open_world_communicator(), so liblayerprune itself never needs libmpi;
//   - NCCL, for GPUs, where the build finds it (not on this project's build machines: see
//     docs/SCALING.md).
// A collective that does not complete within the timeout (a rank died or hangs) throws Error
// naming this rank, the operation and the step, instead of waiting for ever.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace layerprune {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual const char* name() const = 0;  // "single-process", "mpi"
  virtual int32_t rank() const = 0;
  virtual int32_t size() const = 0;
  // In place: data[i] <- the sum over ranks of data[i]. Every rank passes the same n. `what`
  // names the operation in a timeout's message ("the step-12 gradients").
  virtual void all_reduce_sum(float* data, int64_t n, const char* what) = 0;
  // Whether every rank passed the same value (a checksum of its parameters, its step count).
  virtual bool same_on_every_rank(uint64_t value, const char* what) = 0;
  // Bytes of the last all_reduce_sum and its wall time (seconds), for reports and benchmarks.
  virtual double last_seconds() const { return 0.0; }
};

// The single-process communicator: rank 0 of 1.
std::unique_ptr<Communicator> make_single_process_communicator();

// The communicator of this process's job: MPI when the process was started by an MPI
// launcher (Open MPI's OMPI_COMM_WORLD_SIZE or PMI/PMIx variables in the environment) and
// `mode` is "auto" or "mpi"; single-process when `mode` is "off" or no launcher started it.
// "mpi" without a launcher, or an MPI plugin that cannot be loaded (no libmpi.so.40), is an
// Error saying what to install. Initialises MPI once per process; timeout_seconds bounds
// every collective (<= 0: the LAYERPRUNE_COMM_TIMEOUT environment variable, else 120 s).
// `plugin` is the MPI plugin's path ("" = liblayerprune_mpi.so beside liblayerprune).
std::unique_ptr<Communicator> open_world_communicator(const std::string& mode, double timeout_seconds = 0,
                                                      const std::string& plugin = "");

// Whether an MPI launcher started this process (the environment variables above).
bool launched_by_mpi();

}  // namespace layerprune
