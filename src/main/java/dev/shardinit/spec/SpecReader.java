package dev.shardinit.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * A job spec's text as a Jackson tree: YAML, or JSON for file names ending in .json, strictly (duplicate keys and
 * trailing documents are errors), with aliases and non-finite numbers reported before the tree is built. Errors
 * name the line and column.
 */
final class SpecReader {
  /** The largest job spec read, in bytes (and YAML code points). */
  static final int MAX_BYTES = 64 << 20;

  /** Jackson's message for a repeated key (STRICT_DUPLICATE_DETECTION). */
  private static final Pattern DUPLICATE = Pattern.compile("^Duplicate (?:field|Object property) ['\"](.*)['\"]");

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final ObjectMapper YAML;

  static {
    LoaderOptions lo = new LoaderOptions();
    lo.setCodePointLimit(MAX_BYTES);
    YAML = YAMLMapper.builder(YAMLFactory.builder().loaderOptions(lo).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();
  }

  private SpecReader() {}

  /** Parses the text as YAML, or as JSON when the file name ends in .json. */
  static JsonNode readTree(String text, String file) {
    boolean json = file != null && file.toLowerCase(Locale.ROOT).endsWith(".json");
    if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
      text = text.substring(1);
    }
    if (!json) {
      rejectAliasesAndNonFinite(text, file);
    }
    try {
      JsonNode n = (json ? JSON : YAML).readTree(text);
      return n == null ? MissingNode.getInstance() : n;
    } catch (JsonProcessingException e) {
      throw new SpecException(file, List.of(parseError(e, json ? "JSON" : "YAML")));
    }
  }

  private static final Pattern NON_FINITE = Pattern.compile("[-+]?\\.(?:inf|nan)", Pattern.CASE_INSENSITIVE);

  /**
   * A first pass over the YAML events for what the tree would get wrong: an alias ({@code *name}) would be read
   * as the plain string "name", and {@code .nan} or {@code .inf} fail as a "malformed number". Aliases are
   * rejected rather than expanded: a spec is short enough to write out, and expansion is how a small YAML file
   * becomes a huge document. Syntax errors are left to the tree reader, which reports them with their place.
   */
  private static void rejectAliasesAndNonFinite(String text, String file) {
    List<String> errors = new ArrayList<>();
    try (YAMLParser p = (YAMLParser) YAML.getFactory().createParser(text)) {
      JsonToken tok;
      while ((tok = p.nextToken()) != null && errors.size() < Errors.MAX_ERRORS) {
        JsonLocation at = p.currentTokenLocation();
        String where = "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
        if (p.isCurrentAlias()) {
          errors.add(where + "YAML aliases are not supported (*" + p.getText() + "); write the value out in full");
        } else if (tok == JsonToken.VALUE_NUMBER_FLOAT
            && NON_FINITE.matcher(p.getText()).matches()) {
          errors.add(where + field(p.getParsingContext()) + ": must be a finite number, got " + p.getText());
        }
      }
    } catch (IOException e) {
      // a syntax error: the tree reader reports it
    }
    if (!errors.isEmpty()) {
      throw new SpecException(file, errors);
    }
  }

  /** The field a parser is at, as spec errors name fields: {@code tensors[0].args.std}. */
  private static String field(JsonStreamContext c) {
    List<JsonStreamContext> chain = new ArrayList<>();
    for (JsonStreamContext x = c; x != null && !x.inRoot(); x = x.getParent()) {
      chain.add(0, x);
    }
    StringBuilder b = new StringBuilder();
    for (JsonStreamContext x : chain) {
      if (x.inArray()) {
        b.append('[').append(x.getCurrentIndex()).append(']');
      } else if (x.getCurrentName() != null) {
        b.append(b.length() == 0 ? "" : ".").append(x.getCurrentName());
      }
    }
    return b.length() == 0 ? "the job spec" : b.toString();
  }

  private static String parseError(JsonProcessingException e, String lang) {
    if (e.getCause() instanceof MarkedYAMLException) {
      MarkedYAMLException y = (MarkedYAMLException) e.getCause();
      String problem = oneLine(y.getProblem() == null ? y.getMessage() : y.getProblem());
      String ctx = "";
      if (y.getContext() != null) {
        ctx = " (" + oneLine(y.getContext()) + (y.getContextMark() == null ? "" : " at " + at(y.getContextMark())) + ")";
      }
      String where = y.getProblemMark() == null ? "" : at(y.getProblemMark()) + ": ";
      return where + "invalid " + lang + ": " + problem + ctx;
    }
    String msg = oneLine(e.getOriginalMessage() == null ? String.valueOf(e.getMessage()) : e.getOriginalMessage());
    JsonLocation loc = e.getLocation();
    String where = loc != null && loc.getLineNr() > 0
        ? "line " + loc.getLineNr() + (loc.getColumnNr() > 0 ? ", column " + loc.getColumnNr() : "") + ": "
        : "";
    Matcher dup = DUPLICATE.matcher(msg);
    if (dup.find()) {
      return where + "duplicate key '" + dup.group(1) + "'";
    }
    if (msg.startsWith("Trailing token")) {
      return where + "unexpected content after the job spec (a second document?)";
    }
    return where + "invalid " + lang + ": " + msg;
  }

  private static String at(Mark m) {
    return "line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1);
  }

  private static String oneLine(String s) {
    return s.trim().replaceAll("\\s*\\n\\s*", " ");
  }
}
