package dev.shardinit.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardinit.spec.JobSpec;
import dev.shardinit.spec.SpecException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The front end for a model's Hugging Face config.json (docs/MODELS.md): picks the family by {@code model_type}
 * and the architecture by {@code architectures}, and writes the job spec the model's own initialisation amounts
 * to — its tensors, the config's dtype, safetensors, and the config itself, which the checkpoint carries so that
 * transformers' {@code from_pretrained} loads it as it is.
 */
public final class Models {
  /** The transformers version whose modeling code the families follow, and the suite checks against. */
  public static final String TRANSFORMERS_VERSION = "5.24.0";

  private static final Map<String, Family> FAMILIES = new LinkedHashMap<>();

  static {
    List<Family> all = new ArrayList<>(Decoder.all());
    all.add(new Gpt2());
    all.add(new Bert());
    all.add(new T5());
    for (Family f : all) {
      FAMILIES.put(f.modelType(), f);
    }
  }

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private Models() {}

  /** The supported {@code model_type}s, in the order docs/MODELS.md lists them. */
  public static List<String> modelTypes() {
    return List.copyOf(FAMILIES.keySet());
  }

  /**
   * True when {@code file} reads as a model config rather than a job spec: a JSON object with a {@code
   * model_type}. Cheap for job specs, which are YAML or lack the key.
   */
  public static boolean isConfig(Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (!name.endsWith(".json") || !Files.isRegularFile(file)) {
      return false;
    }
    try {
      JsonNode n = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
      return n != null && n.isObject() && n.has("model_type") && !n.has("tensors");
    } catch (IOException e) {
      return false; // not JSON: the job spec reader says why
    }
  }

  /** The job spec tree for the config in {@code file}, with {@code seed}. */
  public static ObjectNode specTree(Path file, long seed) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new SpecException("cannot read model config " + file + ": no such file");
    } catch (IOException e) {
      throw new SpecException("cannot read model config " + file + ": " + e.getMessage());
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new SpecException(file.toString(), List.of("invalid JSON: " + e.getOriginalMessage()));
    }
    if (root == null || !root.isObject()) {
      throw new SpecException(file.toString(), List.of("a model config must be a JSON object"));
    }
    return specTree((ObjectNode) root, file.toString(), seed);
  }

  /** The job spec tree for {@code config} ({@code file} names it in errors), with {@code seed}. */
  public static ObjectNode specTree(ObjectNode config, String file, long seed) {
    JsonNode type = config.get("model_type");
    if (type == null || !type.isTextual()) {
      throw new SpecException(file, List.of("model_type: must be a string naming the model family, got "
          + (type == null ? "nothing" : HfConfig.show(type)) + "; supported: " + String.join(", ", FAMILIES.keySet())));
    }
    Family family = FAMILIES.get(type.asText());
    if (family == null) {
      throw new SpecException(file, List.of("model_type: '" + type.asText() + "' is not supported; supported: "
          + String.join(", ", FAMILIES.keySet())));
    }
    HfConfig c = new HfConfig(config, file, type.asText());
    String arch = architecture(c, family);
    String dtype = dtype(c);
    Tensors tensors = new Tensors();
    if (arch != null) {
      family.tensors(c, arch, tensors);
    }
    c.done();
    ObjectNode spec = JsonNodeFactory.instance.objectNode();
    spec.put("seed", seed);
    spec.put("dtype", dtype);
    spec.put("format", "safetensors");
    spec.set("tensors", tensors.list());
    spec.set("config", config.deepCopy());
    return spec;
  }

  /** The job spec of the config in {@code file}, with {@code seed}. */
  public static JobSpec spec(Path file, long seed) {
    return JobSpec.fromTree(specTree(file, seed), file.toString());
  }

  /**
   * The comment lines at the head of the YAML spec written for a config: what made it ({@code command}), what it
   * follows, and its counts.
   */
  public static List<String> header(String command, JobSpec spec) {
    return List.of("Written by: " + command,
        "The model config's tensors, named, shaped and initialised as transformers " + TRANSFORMERS_VERSION
            + " does (docs/MODELS.md);",
        "tied tensors are left out, as save_pretrained leaves them out. The config below is written to the",
        "checkpoint as config.json, so that from_pretrained loads it as it is.",
        String.format(Locale.ROOT, "%d tensors, %,d parameters.", spec.tensors().size(), spec.parameterCount()));
  }

  private static String architecture(HfConfig c, Family family) {
    JsonNode a = c.root().get("architectures");
    if (a == null || a.isNull()) {
      return family.architectures().get(0);
    }
    if (!a.isArray() || a.size() != 1 || !a.get(0).isTextual()) {
      c.error("architectures: must be a list of one class name, got " + HfConfig.show(a));
      return null;
    }
    String name = a.get(0).asText();
    if (!family.architectures().contains(name)) {
      c.error("architectures: " + name + " is not supported for " + family.modelType() + "; supported: "
          + String.join(", ", family.architectures()));
      return null;
    }
    return name;
  }

  /** The config's dtype ({@code dtype}, or {@code torch_dtype} as older configs say), else float32. */
  private static String dtype(HfConfig c) {
    String field = c.root().hasNonNull("dtype") ? "dtype" : "torch_dtype";
    String d = c.string("float32", field);
    if (!List.of("float32", "float64", "bfloat16", "float16").contains(d)) {
      c.error(field + ": '" + d + "' is not a dtype shardinit writes; use float32, float64, bfloat16 or float16");
      return "float32";
    }
    return d;
  }
}
