// The MPI communicator (core/communicator.h), built as liblayerprune_mpi.so against Open MPI
// when CMake finds MPI, and loaded by open_world_communicator() only when a job asks for it:
// liblayerprune itself never links libmpi, so the library runs where Open MPI is not installed.
//
// Every collective is non-blocking (MPI_Iallreduce) and polled against a deadline: a peer that
// died or hangs makes this rank throw an Error naming itself, the operation and the timeout
// (instead of waiting for ever); mpirun then ends the job when this process exits non-zero.
// Errors are returned, not fatal (MPI_ERRORS_RETURN), so that a failed collective becomes the
// same clear Error. MPI is initialised once per process, with MPI_THREAD_SERIALIZED (one
// thread at a time calls MPI: the trainer's calls are serialised by the model's lock), and
// finalised at exit unless a collective failed (finalising then would wait for the dead peer).
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/communicator.h"
#include "core/error.h"

namespace layerprune {
namespace {

bool g_broken = false;

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && !g_broken) MPI_Finalize();
}

std::string mpi_error(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<size_t>(length));
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(int rank, int size, double timeout) : rank_(rank), size_(size), timeout_(timeout) {}
  const char* name() const override { return "mpi"; }
  int32_t rank() const override { return rank_; }
  int32_t size() const override { return size_; }
  double last_seconds() const override { return last_seconds_; }

  void all_reduce_sum(float* data, int64_t n, const char* what) override {
    if (n <= 0) return;
    const auto t0 = std::chrono::steady_clock::now();
    // MPI counts are int: a buffer above 2^31 - 1 floats goes in pieces.
    for (int64_t done = 0; done < n;) {
      const int count = static_cast<int>(std::min<int64_t>(n - done, INT32_MAX));
      MPI_Request request;
      check(MPI_Iallreduce(MPI_IN_PLACE, data + done, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request), what);
      wait(request, what);
      done += count;
    }
    last_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  bool same_on_every_rank(uint64_t value, const char* what) override {
    // max(v) and max(~v) = ~min(v): equal on every rank iff max == min.
    uint64_t v[2] = {value, ~value};
    MPI_Request request;
    check(MPI_Iallreduce(MPI_IN_PLACE, v, 2, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD, &request), what);
    wait(request, what);
    return v[0] == ~v[1];
  }

 private:
  void check(int code, const char* what) {
    if (code == MPI_SUCCESS) return;
    g_broken = true;
    throw Error("rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ": " + what +
                             " failed: " + mpi_error(code) + " (did another rank stop?)");
  }

  void wait(MPI_Request& request, const char* what) {
    const auto start = std::chrono::steady_clock::now();
    auto pause = std::chrono::microseconds(2);
    for (;;) {
      int done = 0;
      check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
      if (done) return;
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (waited > timeout_) {
        g_broken = true;
        char text[512];
        std::snprintf(text, sizeof text,
                      "rank %d of %d: %s did not complete within %.0f s: another rank died, hangs or is far "
                      "behind (LAYERPRUNE_COMM_TIMEOUT sets the limit)",
                      rank_, size_, what, timeout_);
        throw Error(text);
      }
      std::this_thread::sleep_for(pause);  // polls often at first (small all-reduces), then every ms
      if (pause < std::chrono::microseconds(1000)) pause *= 2;
    }
  }

  int rank_, size_;
  double timeout_;
  double last_seconds_ = 0.0;
};

}  // namespace
}  // namespace layerprune

extern "C" __attribute__((visibility("default"))) layerprune::Communicator* layerprune_mpi_communicator_create(
    double timeout_seconds, char* error, int32_t error_capacity) {
  auto say = [&](const std::string& s) {
    if (error && error_capacity > 0) std::snprintf(error, static_cast<size_t>(error_capacity), "%s", s.c_str());
  };
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (code != MPI_SUCCESS) {
      say("MPI_Init_thread failed: " + layerprune::mpi_error(code));
      return nullptr;
    }
    std::atexit(layerprune::finalize_at_exit);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  try {
    return new layerprune::MpiCommunicator(rank, size, timeout_seconds);
  } catch (const std::exception& e) {
    say(e.what());
    return nullptr;
  }
}
