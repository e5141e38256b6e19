//===- WeightsObject.cpp - Weights as an ELF object of their own ----------===//
//
// Large constants never go through the LLVM module: their bytes are streamed
// from the resource blobs straight into a small relocatable ELF object with a
// read-only, 64-byte aligned `whittle_weights` section and one hidden symbol
// per weight. Neither MC nor the object writer ever holds a copy of them, so
// compile memory stays near the model's size.
//
//===----------------------------------------------------------------------===//

#include "whittle/Target/Backend.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace whittle;
namespace ELF = llvm::ELF;

static constexpr uint64_t kWeightAlignment = 64;

namespace {
struct Weight {
  std::string symbol;
  ArrayRef<char> bytes;
  uint64_t offset = 0;
  /// The bytes are those of an earlier weight, whose offset this one shares.
  bool duplicate = false;
};
} // namespace

/// Returns the bytes of a constant worth moving out of the module, or none.
static std::optional<ArrayRef<char>>
weightBytes(LLVM::GlobalOp global, int64_t minBytes, bool &hadError) {
  Attribute value = global.getValueOrNull();
  if (!value)
    return std::nullopt;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    // i1 blobs have no agreed byte layout; LLVM's own translation keeps them.
    if (resource.getType().getElementType().isInteger(1))
      return std::nullopt;
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob) {
      global.emitError("weight '")
          << global.getSymName() << "' has no data (elided resource?)";
      hadError = true;
      return std::nullopt;
    }
    return blob->getData();
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  // Splats are cheap as LLVM constants; sub-byte types are bit-packed.
  if (!dense || dense.isSplat() ||
      dense.getElementType().getIntOrFloatBitWidth() % 8 != 0 ||
      static_cast<int64_t>(dense.getRawData().size()) < minBytes)
    return std::nullopt;
  return dense.getRawData();
}

template <typename T>
static void writeStruct(llvm::raw_ostream &os, const T &value) {
  os.write(reinterpret_cast<const char *>(&value), sizeof(T));
}

/// Turns every weight global into an external hidden declaration and returns
/// the weights with their offsets in the data section. The bytes stay owned
/// by the resource blobs (or the attribute storage) of the context.
static FailureOr<std::vector<Weight>>
takeWeights(ModuleOp module, int64_t minBytes, uint64_t &dataSize) {
  std::vector<Weight> weights;
  llvm::DenseMap<uint64_t, SmallVector<size_t, 1>> byHash;
  dataSize = 0;
  bool hadError = false;
  module.walk([&](LLVM::GlobalOp global) {
    std::optional<ArrayRef<char>> bytes =
        weightBytes(global, minBytes, hadError);
    if (!bytes)
      return;
    // Functions compiled from one graph (a model and its decode steps)
    // pack the same weights the same way: identical bytes are stored once.
    uint64_t hash = llvm::xxh3_64bits(ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(bytes->data()), bytes->size()));
    const Weight *same = nullptr;
    for (size_t index : byHash[hash])
      if (weights[index].bytes.size() == bytes->size() &&
          std::memcmp(weights[index].bytes.data(), bytes->data(),
                      bytes->size()) == 0)
        same = &weights[index];
    if (same) {
      weights.push_back({global.getSymName().str(), *bytes, same->offset,
                         /*duplicate=*/true});
    } else {
      byHash[hash].push_back(weights.size());
      weights.push_back({global.getSymName().str(), *bytes, dataSize});
      dataSize = llvm::alignTo(dataSize + bytes->size(), kWeightAlignment);
    }
    // The global becomes a declaration of the symbol the object defines.
    global.removeValueAttr();
    global.setLinkage(LLVM::Linkage::External);
    global.setAlignment(kWeightAlignment);
    global.setVisibility_(LLVM::Visibility::Hidden);
  });
  if (hadError)
    return failure();
  return weights;
}

FailureOr<WeightsSummary> whittle::externalizeWeights(ModuleOp module,
                                                      int64_t minBytes) {
  uint64_t dataSize;
  FailureOr<std::vector<Weight>> weights =
      takeWeights(module, minBytes, dataSize);
  if (failed(weights))
    return failure();
  WeightsSummary summary;
  summary.count = weights->size();
  for (const Weight &w : *weights)
    if (!w.duplicate)
      summary.bytes += w.bytes.size();
  return summary;
}

FailureOr<bool> whittle::writeWeightsObject(ModuleOp module,
                                            const TargetInfo &target,
                                            StringRef objectPath,
                                            int64_t minBytes) {
  llvm::Triple triple(target.triple);
  uint16_t machine;
  if (triple.getArch() == llvm::Triple::x86_64)
    machine = ELF::EM_X86_64;
  else if (triple.getArch() == llvm::Triple::aarch64)
    machine = ELF::EM_AARCH64;
  else
    return module.emitError("weights object: unsupported triple '")
           << target.triple << "'";

  uint64_t dataSize;
  FailureOr<std::vector<Weight>> taken =
      takeWeights(module, minBytes, dataSize);
  if (failed(taken))
    return failure();
  std::vector<Weight> &weights = *taken;
  if (weights.empty())
    return false;

  // String tables.
  std::string shstrtab("\0", 1), strtab("\0", 1);
  auto addString = [](std::string &table, StringRef s) {
    uint32_t offset = table.size();
    table.append(s.begin(), s.end());
    table.push_back('\0');
    return offset;
  };
  uint32_t dataName = addString(shstrtab, "whittle_weights");
  uint32_t symtabName = addString(shstrtab, ".symtab");
  uint32_t strtabName = addString(shstrtab, ".strtab");
  uint32_t shstrtabName = addString(shstrtab, ".shstrtab");

  // Symbols: null, the section, then one global per weight.
  std::vector<ELF::Elf64_Sym> symbols(2);
  std::memset(symbols.data(), 0, sizeof(ELF::Elf64_Sym) * symbols.size());
  symbols[1].setBindingAndType(ELF::STB_LOCAL, ELF::STT_SECTION);
  symbols[1].st_shndx = 1;
  for (const Weight &w : weights) {
    ELF::Elf64_Sym sym;
    std::memset(&sym, 0, sizeof(sym));
    sym.st_name = addString(strtab, w.symbol);
    sym.setBindingAndType(ELF::STB_GLOBAL, ELF::STT_OBJECT);
    sym.st_other = ELF::STV_HIDDEN;
    sym.st_shndx = 1;
    sym.st_value = w.offset;
    sym.st_size = w.bytes.size();
    symbols.push_back(sym);
  }

  // Layout: header, data (aligned), symtab, strtab, shstrtab, section headers.
  uint64_t dataOffset = kWeightAlignment;
  uint64_t symtabOffset = llvm::alignTo(dataOffset + dataSize, 8);
  uint64_t symtabSize = symbols.size() * sizeof(ELF::Elf64_Sym);
  uint64_t strtabOffset = symtabOffset + symtabSize;
  uint64_t shstrtabOffset = strtabOffset + strtab.size();
  uint64_t headersOffset = llvm::alignTo(shstrtabOffset + shstrtab.size(), 8);

  std::error_code ec;
  llvm::raw_fd_ostream os(objectPath, ec);
  if (ec)
    return module.emitError("cannot write '")
           << objectPath << "': " << ec.message();

  ELF::Elf64_Ehdr header;
  std::memset(&header, 0, sizeof(header));
  std::memcpy(header.e_ident, ELF::ElfMagic, 4);
  header.e_ident[ELF::EI_CLASS] = ELF::ELFCLASS64;
  header.e_ident[ELF::EI_DATA] = ELF::ELFDATA2LSB;
  header.e_ident[ELF::EI_VERSION] = ELF::EV_CURRENT;
  header.e_type = ELF::ET_REL;
  header.e_machine = machine;
  header.e_version = ELF::EV_CURRENT;
  header.e_shoff = headersOffset;
  header.e_ehsize = sizeof(ELF::Elf64_Ehdr);
  header.e_shentsize = sizeof(ELF::Elf64_Shdr);
  header.e_shnum = 5;
  header.e_shstrndx = 4;
  writeStruct(os, header);
  os.write_zeros(dataOffset - sizeof(header));

  for (const Weight &w : weights) {
    if (w.duplicate)
      continue;
    os.write(w.bytes.data(), w.bytes.size());
    os.write_zeros(llvm::alignTo(w.bytes.size(), kWeightAlignment) -
                   w.bytes.size());
  }
  os.write_zeros(symtabOffset - dataOffset - dataSize);
  for (const ELF::Elf64_Sym &sym : symbols)
    writeStruct(os, sym);
  os << strtab << shstrtab;
  os.write_zeros(headersOffset - shstrtabOffset - shstrtab.size());

  auto section = [&](uint32_t name, uint32_t type, uint64_t flags,
                     uint64_t offset, uint64_t size, uint32_t link,
                     uint32_t info, uint64_t align, uint64_t entsize) {
    ELF::Elf64_Shdr s;
    std::memset(&s, 0, sizeof(s));
    s.sh_name = name;
    s.sh_type = type;
    s.sh_flags = flags;
    s.sh_offset = offset;
    s.sh_size = size;
    s.sh_link = link;
    s.sh_info = info;
    s.sh_addralign = align;
    s.sh_entsize = entsize;
    writeStruct(os, s);
  };
  section(0, ELF::SHT_NULL, 0, 0, 0, 0, 0, 0, 0);
  section(dataName, ELF::SHT_PROGBITS, ELF::SHF_ALLOC, dataOffset, dataSize, 0,
          0, kWeightAlignment, 0);
  // sh_info: index of the first non-local symbol.
  section(symtabName, ELF::SHT_SYMTAB, 0, symtabOffset, symtabSize, 3, 2, 8,
          sizeof(ELF::Elf64_Sym));
  section(strtabName, ELF::SHT_STRTAB, 0, strtabOffset, strtab.size(), 0, 0, 1,
          0);
  section(shstrtabName, ELF::SHT_STRTAB, 0, shstrtabOffset, shstrtab.size(), 0,
          0, 1, 0);
  os.close();
  if (os.has_error())
    return module.emitError("cannot write '") << objectPath << "'";
  return true;
}
