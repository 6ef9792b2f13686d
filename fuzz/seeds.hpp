// What the seed writers share: make_seeds.cpp writes the byte seeds, choice_seeds.cpp the
// seeds of the targets that read choices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "amqp/codec/types.hpp"

namespace seeds {

using bytes = std::vector<std::uint8_t>;

// Writes seed `name` of fuzz target `target` under the output folder.
void put(const std::string& target, const std::string& name, amqp::bytes_view b);

// The seeds of engine_commands and engine_pair.
void choice_seeds();

}  // namespace seeds
