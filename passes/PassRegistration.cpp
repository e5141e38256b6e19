//===- PassRegistration.cpp - Register whittle passes ---------------------===//

#include "whittle/Passes/Passes.h"

void whittle::registerAllWhittlePasses() { registerWhittlePasses(); }
