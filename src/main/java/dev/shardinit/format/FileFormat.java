package dev.shardinit.format;

import java.util.Locale;

/** The file formats a shard can be written in (docs/FORMAT.md). */
public enum FileFormat {
  PARQUET("parquet", ".parquet"),
  ARROW("arrow", ".arrow"),
  /** Hugging Face safetensors: whole tensors packed into files of at most a maximum size (docs/FORMAT.md). */
  SAFETENSORS("safetensors", ".safetensors");

  private final String id;
  private final String extension;

  FileFormat(String id, String extension) {
    this.id = id;
    this.extension = extension;
  }

  /** The name used on the command line and in the manifest: parquet or arrow. */
  public String id() {
    return id;
  }

  /** The file name extension, with its dot: .parquet or .arrow. */
  public String extension() {
    return extension;
  }

  /**
   * Whether the format packs whole tensors into files of a maximum size, each shard a region of one file
   * (safetensors), rather than writing one file per shard (Parquet, Arrow).
   */
  public boolean packed() {
    return this == SAFETENSORS;
  }

  /** Parses a format's id ("parquet", "arrow"), ignoring case and surrounding blanks: the one place that does. */
  public static FileFormat parse(String s) {
    String k = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
    for (FileFormat f : values()) {
      if (f.id.equals(k)) {
        return f;
      }
    }
    StringBuilder ids = new StringBuilder();
    for (FileFormat f : values()) {
      ids.append(ids.length() == 0 ? "" : ", ").append(f.id);
    }
    throw new IllegalArgumentException("unknown format '" + s + "'; use one of " + ids);
  }

  @Override
  public String toString() {
    return id;
  }
}
