// The network behind a Model handle, for C API files other than api.cpp (api_export.cpp),
// which cannot see the handle's definition. Raises Error for a null handle.
#pragma once
#include "layerprune/api.h"
#include "model/gated_network.h"

namespace layerprune {
GatedNetwork& network_of(Model* model);
}
