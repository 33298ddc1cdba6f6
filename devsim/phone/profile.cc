// MakeProfile: the identity of simulated phone number N, deterministic for a seed.
// A small catalogue of real-looking devices; the seed picks the order and the serials.
#include <array>
#include <cstdint>
#include <random>
#include <utility>

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
  int64_t mem_total_kb;
  // Clusters little first: {count, max kHz}; 3 at most (little, mid, prime).
  std::array<std::pair<int, int64_t>, 3> clusters;
};

// Cluster layouts and top frequencies of each SoC (vendors' spec sheets).
constexpr std::array<CatalogEntry, 8> kCatalog = {{
    {"Google", "Pixel 8 Pro", "husky", "husky", "Tensor G3", "14", 34, 0.95, 11798000,
     {{{4, 1704000}, {4, 2367000}, {1, 2914000}}}},
    {"samsung", "SM-S918B", "dm3qxxx", "dm3q", "SM8550", "14", 34, 1.00, 7602000,
     {{{3, 2016000}, {4, 2803200}, {1, 3360000}}}},
    {"Google", "Pixel 6a", "bluejay", "bluejay", "Tensor", "13", 33, 0.70, 5728000,
     {{{4, 1803000}, {2, 2253000}, {2, 2802000}}}},
    {"Xiaomi", "2201123G", "cupid_global", "cupid", "SM8450", "13", 33, 0.85, 7602000,
     {{{4, 1785600}, {3, 2496000}, {1, 2995200}}}},
    {"samsung", "SM-A536B", "a53xnsxx", "a53x", "s5e8825", "13", 33, 0.45, 5632000,
     {{{6, 2002000}, {2, 2400000}, {0, 0}}}},
    {"OnePlus", "CPH2449", "CPH2449EEA", "OP5929L1", "SM8550", "14", 34, 1.02, 15543000,
     {{{3, 2016000}, {4, 2803200}, {1, 3187200}}}},
    {"motorola", "moto g54 5G", "cancunf_g", "cancunf", "MT6855", "14", 34, 0.40, 7669000,
     {{{6, 2000000}, {2, 2200000}, {0, 0}}}},
    {"Google", "Pixel 4a", "sunfish", "sunfish", "SM7150", "13", 33, 0.38, 5659000,
     {{{6, 1804800}, {2, 2208000}, {0, 0}}}},
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
  p.clusters.clear();
  p.cores = 0;
  for (const auto& [count, max_khz] : e.clusters) {
    if (count == 0) continue;
    p.clusters.push_back(CpuCluster{p.cores, count, p.clusters.empty() ? 300000 : 500000, max_khz});
    p.cores += count;
  }
  p.mem_total_kb = e.mem_total_kb;
  p.battery_level = 40 + static_cast<int>((h >> 8) % 60);
  p.battery_temp_c = 27.0 + static_cast<double>((h >> 20) % 60) / 10.0;
  return p;
}

}  // namespace benchlab::devsim
