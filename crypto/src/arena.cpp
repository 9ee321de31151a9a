// First-fit arena allocator (see locus/crypto/arena.h).
#include "locus/crypto/arena.h"

#include <string.h>

#include "locus/crypto/ct.h"

namespace locus::crypto {

namespace {
struct Header {
  uint32_t size;  // whole block including this header, multiple of 8
  uint32_t used;  // kUsed or kFree
};
static_assert(sizeof(Header) == 8, "header must keep 8-byte alignment");
constexpr uint32_t kUsed = 0x55534544u;  // "USED": a corrupted header is unlikely to match
constexpr uint32_t kFree = 0x46524545u;  // "FREE"
constexpr size_t kAlign = 8;
constexpr size_t kMinBlock = sizeof(Header) + kAlign;

Header* at(uint8_t* p) {
  return reinterpret_cast<Header*>(p);
}
}  // namespace

void Arena::init(uint8_t* mem, size_t size) {
  stats_ = ArenaStats();
  base_ = nullptr;
  size_ = 0;
  if (mem == nullptr) {
    return;
  }
  // Align the start and the size; the arena never exceeds 4 GiB (32-bit block sizes).
  const uintptr_t mis = reinterpret_cast<uintptr_t>(mem) % kAlign;
  if (mis != 0) {
    const size_t adj = kAlign - mis;
    if (size < adj) {
      return;
    }
    mem += adj;
    size -= adj;
  }
  size -= size % kAlign;
  if (size < kMinBlock || size > 0xFFFFFFF8u) {
    return;
  }
  base_ = mem;
  size_ = size;
  Header* h = at(base_);
  h->size = static_cast<uint32_t>(size);
  h->used = kFree;
  stats_.capacity = size;
}

void* Arena::calloc(size_t n, size_t size) {
  if (base_ == nullptr) {
    ++stats_.failures;
    return nullptr;
  }
  if (size != 0 && n > static_cast<size_t>(-1) / size) {
    ++stats_.failures;
    return nullptr;
  }
  size_t want = n * size;
  if (want == 0) {
    want = 1;  // a unique pointer for zero-size requests
  }
  if (want > size_) {
    ++stats_.failures;
    return nullptr;
  }
  const size_t need = sizeof(Header) + ((want + kAlign - 1) / kAlign) * kAlign;
  uint8_t* const end = base_ + size_;
  // Bounded: each step advances by a block size >= kMinBlock.
  for (uint8_t* p = base_; p < end; p += at(p)->size) {
    Header* h = at(p);
    // A corrupted header (someone wrote past a block) stops the walk instead of looping.
    if (h->size < kMinBlock || h->size > static_cast<size_t>(end - p) || h->size % kAlign != 0 ||
        (h->used != kFree && h->used != kUsed)) {
      break;
    }
    if (h->used != kFree) {
      continue;
    }
    // Merge the free blocks that follow.
    while (p + h->size < end && at(p + h->size)->used == kFree) {
      h->size += at(p + h->size)->size;
    }
    if (h->size < need) {
      continue;
    }
    if (h->size - need >= kMinBlock) {
      Header* rest = at(p + need);
      rest->size = static_cast<uint32_t>(h->size - need);
      rest->used = kFree;
      h->size = static_cast<uint32_t>(need);
    }
    h->used = kUsed;
    stats_.in_use += h->size;
    if (stats_.in_use > stats_.peak) {
      stats_.peak = stats_.in_use;
    }
    void* user = p + sizeof(Header);
    memset(user, 0, h->size - sizeof(Header));
    return user;
  }
  ++stats_.failures;
  return nullptr;
}

void Arena::free(void* ptr) {
  if (ptr == nullptr) {
    return;
  }
  uint8_t* p = static_cast<uint8_t*>(ptr) - sizeof(Header);
  // Only pointers we handed out: inside the arena, aligned, with a USED header.
  if (base_ == nullptr || p < base_ || p >= base_ + size_ ||
      (static_cast<size_t>(p - base_) % kAlign) != 0 || at(p)->used != kUsed ||
      at(p)->size < kMinBlock || at(p)->size > static_cast<size_t>(base_ + size_ - p)) {
    ++stats_.bad_frees;
    return;
  }
  Header* h = at(p);
  zeroize(p + sizeof(Header), h->size - sizeof(Header));
  h->used = kFree;
  stats_.in_use -= h->size;
  uint8_t* const end = base_ + size_;
  while (p + h->size < end && at(p + h->size)->used == kFree) {
    h->size += at(p + h->size)->size;
  }
}

}  // namespace locus::crypto
