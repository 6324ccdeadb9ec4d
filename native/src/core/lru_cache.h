// A bounded map for planned primitives (oneDNN plans keyed by shape): at most `capacity`
// entries; inserting one more evicts the least recently used. A batch size that changes with
// every predict call (or a long-running service) would otherwise grow the plan caches without
// bound. The entry just returned is the most recently used, so it is never the one evicted by
// the next insertion; a reference to it stays valid until `capacity` other keys are used.
// Not thread-safe: the owner serialises access (one backend per model, used by one call at a time).
#pragma once
#include <cstddef>
#include <list>
#include <memory>
#include <unordered_map>
#include <utility>

namespace layerprune {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity < 2 ? 2 : capacity) {}

  // The entry for `key`, created with make() when absent (which may evict the oldest).
  template <typename Make>
  Value& get(const Key& key, Make&& make) {
    auto found = index_.find(key);
    if (found != index_.end()) {
      order_.splice(order_.begin(), order_, found->second);  // now the most recent
      return *found->second->second;
    }
    std::unique_ptr<Value> value = make();  // may throw: nothing changed then
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
      ++evictions_;
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(key, order_.begin());
    return *order_.front().second;
  }

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  size_t evictions() const { return evictions_; }

 private:
  using Entry = std::pair<Key, std::unique_ptr<Value>>;
  size_t capacity_;
  size_t evictions_ = 0;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash> index_;
};

}  // namespace layerprune
