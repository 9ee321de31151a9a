#include "locus_test/mutate.h"

#include <algorithm>

namespace locus_test {

namespace {
// Values that sit on CBOR head boundaries, type bytes, DER tag/length bytes and the small
// map keys / lengths of the protocol messages.
const uint8_t kInteresting[] = {
    0x00, 0x01, 0x02, 0x04, 0x0c, 0x0d, 0x10, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x30,
    0x3a, 0x3b, 0x40, 0x41, 0x4c, 0x50, 0x58, 0x5d, 0x5e, 0x5f, 0x60, 0x7d, 0x7e, 0x7f, 0x80,
    0x81, 0x82, 0x9f, 0xa0, 0xbf, 0xc0, 0xd2, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfb, 0xff};

long at(size_t i) {
  return static_cast<long>(i);
}
}  // namespace

void mutate(std::vector<uint8_t>& b, Rng& r, const std::vector<std::vector<uint8_t>>* corpus) {
  const size_t ops = 1 + r.below(4);
  for (size_t k = 0; k < ops; ++k) {
    switch (r.below(9)) {
      case 0:  // flip one bit
        if (!b.empty()) b[r.below(b.size())] ^= static_cast<uint8_t>(1u << r.below(8));
        break;
      case 1:  // set a byte to an interesting value
        if (!b.empty()) b[r.below(b.size())] = kInteresting[r.below(sizeof kInteresting)];
        break;
      case 2:  // random byte
        if (!b.empty()) b[r.below(b.size())] = static_cast<uint8_t>(r.next());
        break;
      case 3:  // insert a byte
        if (b.size() < kMaxMutatedSize)
          b.insert(b.begin() + at(r.below(b.size() + 1)), static_cast<uint8_t>(r.next()));
        break;
      case 4:  // delete a byte
        if (!b.empty()) b.erase(b.begin() + at(r.below(b.size())));
        break;
      case 5:  // truncate
        if (!b.empty()) b.resize(r.below(b.size()));
        break;
      case 6: {  // duplicate a chunk
        if (b.empty() || b.size() > kMaxMutatedSize / 2) break;
        const size_t from = r.below(b.size()),
                     len = 1 + r.below(std::min<size_t>(16, b.size() - from));
        const std::vector<uint8_t> chunk(b.begin() + at(from), b.begin() + at(from + len));
        b.insert(b.begin() + at(r.below(b.size() + 1)), chunk.begin(), chunk.end());
        break;
      }
      case 7: {  // a plausible length field: 0x00 0xNN
        if (b.size() < 2) break;
        const size_t p = r.below(b.size() - 1);
        b[p] = 0;
        b[p + 1] = static_cast<uint8_t>(r.next());
        break;
      }
      default: {  // splice with another corpus input
        if (corpus == nullptr || corpus->empty()) break;
        const std::vector<uint8_t>& o = (*corpus)[r.below(corpus->size())];
        if (o.empty()) break;
        const size_t cut = r.below(b.size() + 1), from = r.below(o.size());
        b.resize(cut);
        b.insert(b.end(), o.begin() + at(from), o.end());
        if (b.size() > kMaxMutatedSize) b.resize(kMaxMutatedSize);
        break;
      }
    }
  }
}

}  // namespace locus_test
