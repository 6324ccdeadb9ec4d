// The architecture description as JSON (docs/ARCHITECTURE.md, "Architecture description"):
//
//   {"version": 1, "name": "resnet50", "family": "resnet",
//    "input": {"channels": 3, "height": 32, "width": 32},        or {"features": 784}
//    "stem": {"kind": "conv", "channels": 64, "kernel": 7, "stride": 2, "pad": 3,
//             "batchnorm": true, "relu": true, "pool": {"kernel": 3, "stride": 2, "pad": 1, "ceil": false}},
//            or {"kind": "dense", "width": 256, "relu": true}
//    "stages": [{"transition": {a layer like the stem, without pool},
//                "kind": "dense" | "basic" | "bottleneck" | "plain",
//                "widths": [64, 64, 64]  or  "width": 64, "blocks": 3,
//                "stride": 1, "kernel": 3, "expansion": 4,            (conv kinds; expansion: bottleneck)
//                "skip": "auto" | "identity" | "projection", "h": "identity" | "relu",
//                "pool": {...}, "flatten": true}, ...],
//    "head": {"classes": 10}}
//
// Optional fields take the defaults of model/architecture.h (family: derived from the sections);
// unknown fields are errors. to_json writes the canonical form: every field explicit, in this
// order, so parse(to_json(a)) == a and to_json(parse(s)) is s normalised.
#pragma once
#include <string>

#include "model/architecture.h"

namespace layerprune {

std::string to_json(const Architecture& a);
// Parses and validates; raises Error naming the offending field ("stages[1].kind 'foo' is not
// one of dense, basic, bottleneck, plain", "stages[0].widths[2] must be > 0, got 0").
Architecture architecture_from_json(const std::string& json);

}  // namespace layerprune
