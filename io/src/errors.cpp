#include "snngx/io/errors.hpp"

#include <algorithm>
#include <cctype>

namespace snngx::io {
namespace {

// Calls on_text for the literal pieces and on_name for each {name} of `message`, in order.
// "{{" is a literal '{'; a brace not closing a well-formed name is text.
void scan(std::string_view message, const std::function<void(std::string_view)>& on_text,
          const std::function<void(std::string_view)>& on_name) {
  std::size_t i = 0;
  while (i < message.size()) {
    const std::size_t open = message.find('{', i);
    if (open != std::string_view::npos && open + 1 < message.size() && message[open + 1] == '{') {
      on_text(message.substr(i, open + 1 - i));
      i = open + 2;
      continue;
    }
    const std::size_t close = open == std::string_view::npos ? open : message.find('}', open);
    if (close == std::string_view::npos) break;
    const std::string_view name = message.substr(open + 1, close - open - 1);
    const bool well_formed = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
    on_text(message.substr(i, open - i));
    if (well_formed) on_name(name);
    else on_text(message.substr(open, close - open + 1));
    i = close + 1;
  }
  on_text(message.substr(std::min(i, message.size())));
}

std::string render_with(std::string_view message, const std::function<std::string(std::string_view)>& name_of) {
  std::string out;
  scan(message, [&](std::string_view text) { out += text; }, [&](std::string_view name) { out += name_of(name); });
  return out;
}

}  // namespace

ParameterError::ParameterError(std::string message)
    : std::invalid_argument(render_with(message, &ParameterError::plain_words)), template_(std::move(message)) {}

std::vector<std::string> ParameterError::parameters() const {
  std::vector<std::string> names;
  scan(template_, [](std::string_view) {}, [&](std::string_view name) { names.emplace_back(name); });
  return names;
}

std::string ParameterError::render(const std::function<std::string(std::string_view)>& name_of) const {
  return render_with(template_, name_of);
}

std::string ParameterError::literal(std::string_view text) {
  std::string out;
  for (const char c : text) {
    out += c;
    if (c == '{') out += '{';
  }
  return out;
}

std::string ParameterError::plain_words(std::string_view name) {
  std::string words(name);
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

}  // namespace snngx::io
