#pragma once
// Errors about a caller's parameters, in the library's own terms. Libraries do not know the
// flags of the CLI; their messages name parameters as "{name}" placeholders
// ("{population} must be >= 4"). what() renders them as plain words ("population must be >= 4");
// a front end renders them as its own option names (app/ turns "{population}" into
// "--population", app/main.cpp).
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace snngx::io {

class ParameterError : public std::invalid_argument {
 public:
  /// `message` names parameters as {name} (letters, digits and '_'); "{{" is a literal '{'.
  explicit ParameterError(std::string message);
  [[nodiscard]] const std::string& message_template() const { return template_; }
  /// The parameters the message names, in order of appearance.
  [[nodiscard]] std::vector<std::string> parameters() const;
  /// The message with every {name} replaced by name_of(name).
  [[nodiscard]] std::string render(const std::function<std::string(std::string_view)>& name_of) const;
  /// `text` (a file name, a value) as a literal part of a message: its '{' doubled.
  [[nodiscard]] static std::string literal(std::string_view text);
  /// A parameter in plain words: '_' as a space ("subset_size" -> "subset size").
  [[nodiscard]] static std::string plain_words(std::string_view name);

 private:
  std::string template_;
};

}  // namespace snngx::io
