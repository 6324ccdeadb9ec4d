// The library's version: what version() of the C API returns and what every file the library
// writes (checkpoints, exports) records as its writer.
#pragma once

namespace layerprune {

inline constexpr const char* kLibraryVersion = "0.1.0";

}  // namespace layerprune
