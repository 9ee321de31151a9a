// locus/span.h: non-owning byte views (C++17 has no std::span).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace locus {

struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;

  constexpr ByteSpan() = default;
  constexpr ByteSpan(const uint8_t* d, size_t n) : data(d), size(n) {}
  template <size_t N>
  constexpr ByteSpan(const uint8_t (&a)[N]) : data(a), size(N) {}  // NOLINT
  template <typename C, typename = decltype(static_cast<const C*>(nullptr)->data()),
            typename = decltype(static_cast<const C*>(nullptr)->size())>
  constexpr ByteSpan(const C& c)
      : data(reinterpret_cast<const uint8_t*>(c.data())), size(c.size()) {}  // NOLINT
  constexpr bool empty() const { return size == 0; }
  constexpr const uint8_t* begin() const { return data; }
  constexpr const uint8_t* end() const { return data + size; }
  constexpr uint8_t operator[](size_t i) const { return data[i]; }
  constexpr ByteSpan subspan(size_t off, size_t n) const { return ByteSpan(data + off, n); }
};

struct MutByteSpan {
  uint8_t* data = nullptr;
  size_t size = 0;

  constexpr MutByteSpan() = default;
  constexpr MutByteSpan(uint8_t* d, size_t n) : data(d), size(n) {}
  template <size_t N>
  constexpr MutByteSpan(uint8_t (&a)[N]) : data(a), size(N) {}  // NOLINT
  template <typename C, typename = decltype(static_cast<C*>(nullptr)->data()),
            typename = decltype(static_cast<C*>(nullptr)->size())>
  constexpr MutByteSpan(C& c)
      : data(reinterpret_cast<uint8_t*>(c.data())), size(c.size()) {}   // NOLINT
  constexpr operator ByteSpan() const { return ByteSpan(data, size); }  // NOLINT
};

}  // namespace locus
