package dev.shardinit.format.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardinit.format.TensorEntry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * model.safetensors.index.json as transformers writes it and reads it: {@code metadata} with {@code total_size}
 * (bytes of all values) and {@code total_parameters}, and {@code weight_map} from each tensor's name to its file;
 * keys sorted, indented by two spaces, a final newline.
 */
public final class SafetensorsIndex {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SafetensorsIndex() {}

  /** The index of {@code tensors} (the list {@code layout} was made of) as laid out by {@code layout}. */
  public static byte[] of(List<TensorEntry> tensors, SafetensorsLayout layout) {
    long bytes = 0;
    long params = 0;
    Map<String, String> map = new TreeMap<>();
    for (int t = 0; t < tensors.size(); t++) {
      bytes += tensors.get(t).valueBytes();
      params += tensors.get(t).numel();
      map.put(tensors.get(t).name(), layout.fileOf(t));
    }
    StringBuilder b = new StringBuilder();
    b.append("{\n  \"metadata\": {\n    \"total_parameters\": ").append(params).append(",\n    \"total_size\": ")
        .append(bytes).append("\n  },\n  \"weight_map\": {");
    String sep = "\n";
    for (Map.Entry<String, String> e : map.entrySet()) {
      b.append(sep).append("    ").append(quote(e.getKey())).append(": ").append(quote(e.getValue()));
      sep = ",\n";
    }
    b.append(map.isEmpty() ? "}\n}\n" : "\n  }\n}\n");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a string always serialises
    }
  }
}
