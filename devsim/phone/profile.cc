// MakeProfile: the identity of simulated phone number N, deterministic for a seed.
// A small catalogue of real-looking devices; the seed picks the order and the serials.
#include <array>
#include <cstdint>
#include <random>

#include "absl/strings/str_format.h"
#include "devsim/phone/phone.h"

namespace benchlab::devsim {
namespace {

struct CatalogEntry {
  const char* manufacturer;
  const char* model;
  const char* product;
  const char* device;
  const char* soc;
  const char* release;
  int sdk;
  double cpu_speed;
  int cores;
};

constexpr std::array<CatalogEntry, 8> kCatalog = {{
    {"Google", "Pixel 8 Pro", "husky", "husky", "Tensor G3", "14", 34, 0.95, 9},
    {"samsung", "SM-S918B", "dm3qxxx", "dm3q", "SM8550", "14", 34, 1.00, 8},
    {"Google", "Pixel 6a", "bluejay", "bluejay", "Tensor", "13", 33, 0.70, 8},
    {"Xiaomi", "2201123G", "cupid_global", "cupid", "SM8450", "13", 33, 0.85, 8},
    {"samsung", "SM-A536B", "a53xnsxx", "a53x", "s5e8825", "13", 33, 0.45, 8},
    {"OnePlus", "CPH2449", "CPH2449EEA", "OP5929L1", "SM8550", "14", 34, 1.02, 8},
    {"motorola", "moto g54 5G", "cancunf_g", "cancunf", "MT6855", "14", 34, 0.40, 8},
    {"Google", "Pixel 4a", "sunfish", "sunfish", "SM7150", "13", 33, 0.38, 8},
}};

uint64_t Mix(uint64_t x) {  // splitmix64: cheap, good enough to spread seeds
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

PhoneProfile MakeProfile(uint64_t seed, int index) {
  const uint64_t h = Mix(seed * 1000003ULL + static_cast<uint64_t>(index));
  const CatalogEntry& e = kCatalog[(Mix(seed) + static_cast<uint64_t>(index)) % kCatalog.size()];
  PhoneProfile p;
  // Serials look like real ones (hex, 12-16 chars) and differ per index even with one seed.
  p.serialno =
      absl::StrFormat("%s%08X", index % 2 == 0 ? "2A1" : "R5C", static_cast<uint32_t>(h >> 16));
  p.product_name = e.product;
  p.model = e.model;
  p.device = e.device;
  p.manufacturer = e.manufacturer;
  p.soc_model = e.soc;
  p.android_release = e.release;
  p.sdk = e.sdk;
  p.abi = "arm64-v8a";
  // +-4% unit-to-unit variation of the same model.
  p.cpu_speed = e.cpu_speed * (0.96 + 0.08 * static_cast<double>(h % 1000) / 1000.0);
  p.cores = e.cores;
  p.battery_level = 40 + static_cast<int>((h >> 8) % 60);
  p.battery_temp_c = 27.0 + static_cast<double>((h >> 20) % 60) / 10.0;
  return p;
}

}  // namespace benchlab::devsim
