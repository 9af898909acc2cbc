package dev.vigil.activities.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * vigil.yaml read into a tree that remembers the line of every key and list element, and reports
 * what a plain {@code readTree} hides or garbles: a key given twice (the second silently replaced
 * the first), bytes that are not UTF-8 text, and parser errors as one line with line and column.
 *
 * @param root the document, or null when it is empty
 * @param lines the line of each field path ({@code sources.appdb.port}, {@code a.list[0]})
 * @param duplicates one {@code path at line N: ...} problem per key given twice
 */
record YamlTree(JsonNode root, Map<String, Integer> lines, List<Duplicate> duplicates) {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** A key given a second time under the same mapping. */
  record Duplicate(String path, String key, int line, int firstLine) {}

  /** The text cannot be read as YAML; {@link #getMessage()} is one line with line and column. */
  static final class Unreadable extends Exception {
    Unreadable(int line, int column, String message) {
      super("line " + line + ", column " + column + ": " + message);
    }
  }

  /** Parses {@code bytes}; throws {@link Unreadable} with one line a person can act on. */
  static YamlTree parse(byte[] bytes) throws Unreadable {
    String text = decode(bytes);
    rejectControlCharacters(text);
    Builder builder = new Builder();
    try (JsonParser parser = new YAMLFactory().createParser(text)) {
      JsonToken first = parser.nextToken();
      JsonNode root = first == null ? null : builder.value(parser, "");
      return new YamlTree(root, Map.copyOf(builder.lines), List.copyOf(builder.duplicates));
    } catch (JsonProcessingException e) {
      throw unreadable(text, e);
    } catch (IOException e) {
      // Parsing a String does no I/O; anything else is a parser failure.
      throw new Unreadable(1, 1, "malformed YAML");
    }
  }

  private static final class Builder {
    private final Map<String, Integer> lines = new HashMap<>();
    private final List<Duplicate> duplicates = new ArrayList<>();

    /** The value at the parser's current token, which is the token at {@code path}. */
    JsonNode value(JsonParser parser, String path) throws IOException {
      return switch (parser.currentToken()) {
        case START_OBJECT -> mapping(parser, path);
        case START_ARRAY -> list(parser, path);
        case VALUE_STRING -> NODES.textNode(parser.getText());
        case VALUE_NUMBER_INT -> integer(parser);
        case VALUE_NUMBER_FLOAT -> NODES.numberNode(parser.getDoubleValue());
        case VALUE_TRUE -> NODES.booleanNode(true);
        case VALUE_FALSE -> NODES.booleanNode(false);
        case VALUE_NULL -> NODES.nullNode();
        default -> NODES.textNode(parser.getText());
      };
    }

    private ObjectNode mapping(JsonParser parser, String path) throws IOException {
      ObjectNode mapping = NODES.objectNode();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        int line = parser.currentTokenLocation().getLineNr();
        String at = path.isEmpty() ? key : path + "." + key;
        parser.nextToken();
        if (mapping.has(key)) {
          duplicates.add(new Duplicate(at, key, line, lines.get(at)));
          // Read the second value to move past it; the first stays, the file is refused anyway.
          new Builder().value(parser, at);
          continue;
        }
        lines.put(at, line);
        mapping.set(key, value(parser, at));
      }
      return mapping;
    }

    private ArrayNode list(JsonParser parser, String path) throws IOException {
      ArrayNode list = NODES.arrayNode();
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        String at = path + "[" + list.size() + "]";
        lines.put(at, parser.currentTokenLocation().getLineNr());
        list.add(value(parser, at));
      }
      return list;
    }

    private static JsonNode integer(JsonParser parser) throws IOException {
      return switch (parser.getNumberType()) {
        case INT -> NODES.numberNode(parser.getIntValue());
        case LONG -> NODES.numberNode(parser.getLongValue());
        default -> NODES.numberNode(parser.getBigIntegerValue());
      };
    }
  }

  private static String decode(byte[] bytes) throws Unreadable {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      String text = decoder.decode(ByteBuffer.wrap(bytes)).toString();
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (CharacterCodingException e) {
      ByteBuffer input = ByteBuffer.wrap(bytes);
      CharBuffer output = CharBuffer.allocate(bytes.length);
      decoder.reset().decode(input, output, true);
      String before = output.flip().toString();
      rejectControlCharacters(before);
      throw new Unreadable(
          lineOf(before),
          columnOf(before),
          String.format(
              "byte 0x%02x is not UTF-8 text; the config must be a YAML text file",
              bytes[input.position()] & 0xff));
    }
  }

  /** NUL and other control bytes mean a binary file, or text pasted with a terminal escape. */
  private static void rejectControlCharacters(String text) throws Unreadable {
    for (int index = 0; index < text.length(); index++) {
      char c = text.charAt(index);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        String before = text.substring(0, index);
        throw new Unreadable(
            lineOf(before),
            columnOf(before),
            String.format(
                "control character 0x%02x; the config must be a YAML text file", (int) c));
      }
    }
  }

  private static Unreadable unreadable(String text, JsonProcessingException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
        Mark mark = marked.getProblemMark();
        int line = mark.getLine() + 1;
        int tab = tabInIndentation(text, mark.getLine());
        if (tab > 0) {
          return new Unreadable(
              line, tab, "a tab in the indentation; YAML indents with spaces only");
        }
        return new Unreadable(
            line,
            mark.getColumn() + 1,
            "malformed YAML: " + firstLine(marked.getProblem()) + context(marked));
      }
    }
    var location = e.getLocation();
    return new Unreadable(
        location == null ? 1 : location.getLineNr(),
        location == null ? 1 : location.getColumnNr(),
        "malformed YAML: " + firstLine(e.getOriginalMessage()));
  }

  /** What the parser was inside, e.g. a {@code [} list opened two lines up and never closed. */
  private static String context(MarkedYAMLException marked) {
    Mark mark = marked.getContextMark();
    if (marked.getContext() == null || mark == null) {
      return "";
    }
    return " ("
        + firstLine(marked.getContext())
        + " that starts at line "
        + (mark.getLine() + 1)
        + ", column "
        + (mark.getColumn() + 1)
        + ")";
  }

  /** The 1-based column of a tab in the leading blanks of a 0-based line, or 0 if none. */
  private static int tabInIndentation(String text, int line) {
    String[] lines = text.split("\r?\n|\r", -1);
    if (line >= lines.length) {
      return 0;
    }
    String content = lines[line];
    for (int column = 0; column < content.length(); column++) {
      char c = content.charAt(column);
      if (c == '\t') {
        return column + 1;
      }
      if (c != ' ') {
        return 0;
      }
    }
    return 0;
  }

  private static String firstLine(String message) {
    if (message == null || message.isBlank()) {
      return "cannot parse";
    }
    String line = message.strip().lines().findFirst().orElse("").strip();
    // SnakeYAML spells out tabs as "\t(TAB)"; keep the words, drop the escape.
    return line.replace("'\\t(TAB)'", "TAB").replace("\\t(TAB)", "TAB");
  }

  private static int lineOf(String before) {
    return (int) before.chars().filter(c -> c == '\n').count() + 1;
  }

  private static int columnOf(String before) {
    return before.length() - before.lastIndexOf('\n');
  }
}
