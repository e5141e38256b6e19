//===- PassRegistration.cpp - Register every whittle pass -----------------===//

#include "whittle/Passes/Passes.h"

void whittle::registerAllWhittlePasses() { registerWhittlePasses(); }
