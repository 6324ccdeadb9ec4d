// The network behind a Model handle, for C API files other than api.cpp (api_export.cpp),
// which cannot see the handle's definition. Raises Error for a null handle.
#pragma once
#include "layerprune/api.h"
#include "model/network.h"

namespace layerprune {
Network& network_of(Model* model);
}
