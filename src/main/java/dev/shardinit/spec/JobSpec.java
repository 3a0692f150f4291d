package dev.shardinit.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardinit.format.FileFormat;
import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A job spec: the seed, the default dtype, the output format, the tensors of a model and, for a model built from
 * its Hugging Face config, that config (written beside the tensors as config.json), read from YAML or JSON
 * (docs/JOBS.md). Parsing validates everything and resolves every tensor's initializer once, so a bad
 * spec fails before any output is written. Immutable; the {@code with*} methods return new specs.
 */
public final class JobSpec {
  private final String file;
  private final long seed;
  private final Dtype dtype;
  private final FileFormat format;
  private final List<TensorSpec> tensors;
  private final ObjectNode config;
  private final List<String> warnings;
  private final long parameterCount;
  private final long byteCount;

  JobSpec(String file, long seed, Dtype dtype, FileFormat format, List<TensorSpec> tensors, ObjectNode config,
      List<String> warnings) {
    this.file = file;
    this.seed = seed;
    this.dtype = dtype;
    this.format = format;
    this.tensors = Collections.unmodifiableList(List.copyOf(tensors));
    this.config = config == null ? null : config.deepCopy();
    this.warnings = List.copyOf(warnings);
    long n = 0;
    long b = 0;
    for (TensorSpec t : tensors) {
      n += t.numel(); // checked against overflow when parsed
      try {
        b = Math.addExact(b, t.numel() * t.dtype().bytes()); // each product checked when resolved
      } catch (ArithmeticException e) {
        throw new SpecException(file, List.of("tensors: the tensors hold more than " + Long.MAX_VALUE
            + " bytes in all"));
      }
    }
    this.parameterCount = n;
    this.byteCount = b;
  }

  /**
   * Parses and validates a job spec. {@code fileName} picks the parser (JSON for names ending in .json, YAML
   * otherwise; null means YAML) and prefixes the error lines; it is not opened.
   *
   * @throws SpecException listing every error found (at most 50), one line each
   */
  public static JobSpec parse(String text, String fileName) {
    Objects.requireNonNull(text, "text");
    return SpecParser.parse(SpecReader.readTree(text, fileName), fileName);
  }

  /**
   * Validates and builds a job spec from its tree, as {@link #parse} does from text: for front ends that make the
   * tree (a model's config). {@code fileName} prefixes the error lines.
   */
  public static JobSpec fromTree(JsonNode tree, String fileName) {
    return SpecParser.parse(Objects.requireNonNull(tree, "tree"), fileName);
  }

  /**
   * Reads and parses a job spec file (UTF-8).
   *
   * @throws SpecException {@code cannot read job spec <file>: <reason>} when the file cannot be read, or the
   *     errors of {@link #parse}
   */
  public static JobSpec load(Path file) {
    String text;
    try {
      if (Files.isDirectory(file)) {
        throw unreadable(file, "is a directory");
      }
      if (Files.size(file) > SpecReader.MAX_BYTES) {
        throw unreadable(file, "larger than " + (SpecReader.MAX_BYTES >> 20) + " MiB; not a job spec?");
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw unreadable(file, "no such file");
    } catch (AccessDeniedException e) {
      throw unreadable(file, "permission denied");
    } catch (CharacterCodingException e) {
      throw unreadable(file, "not UTF-8 text");
    } catch (IOException e) {
      throw unreadable(file, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
    return parse(text, file.toString());
  }

  private static SpecException unreadable(Path file, String reason) {
    return new SpecException("cannot read job spec " + file + ": " + reason);
  }

  /** The file name given to {@link #parse} or {@link #load} (null if none). */
  public String file() {
    return file;
  }

  public long seed() {
    return seed;
  }

  /** The default dtype: that of every tensor that does not set its own. */
  public Dtype dtype() {
    return dtype;
  }

  /** The output file format. */
  public FileFormat format() {
    return format;
  }

  /** The tensors after repeat expansion, in file order, names unique, initializers resolved. */
  public List<TensorSpec> tensors() {
    return tensors;
  }

  /** The sum of the tensors' element counts. */
  public long parameterCount() {
    return parameterCount;
  }

  /** The bytes of all tensors' values, each at its dtype's size (exact: a spec whose total overflows is an error). */
  public long byteCount() {
    return byteCount;
  }

  /**
   * The model's Hugging Face config, when the job was made from one (the spec's {@code config}), else null: what
   * a checkpoint needs beside its tensors for transformers' {@code from_pretrained}. A copy.
   */
  public ObjectNode config() {
    return config == null ? null : config.deepCopy();
  }

  /** Warnings torch would give for an initializer (one per file entry), as {@code <tensor>: init: <text>}. */
  public List<String> warnings() {
    return warnings;
  }

  /** The same job with another seed; every initializer resolved again. */
  public JobSpec withSeed(long newSeed) {
    if (newSeed == seed) {
      return this;
    }
    return new JobSpec(file, newSeed, dtype, format, Expansion.reresolve(file, tensors, dtype, newSeed), config,
        warnings);
  }

  /**
   * The same job with another default dtype, which applies to the tensors that do not set their own; those are
   * resolved again.
   *
   * @throws SpecException when an initializer rejects the new dtype (a constant that overflows float16, a
   *     trunc_normal_ interval that holds no bfloat16 value)
   */
  public JobSpec withDtype(Dtype newDtype) {
    Objects.requireNonNull(newDtype, "dtype");
    if (newDtype == dtype) {
      return this;
    }
    return new JobSpec(file, seed, newDtype, format, Expansion.reresolve(file, tensors, newDtype, seed), config,
        warnings);
  }

  /** The same job with another output file format. */
  public JobSpec withFormat(FileFormat newFormat) {
    return new JobSpec(file, seed, dtype, Objects.requireNonNull(newFormat, "format"), tensors, config,
        warnings);
  }

  @Override
  public String toString() {
    return "JobSpec(" + (file == null ? "" : file + ", ") + "seed " + seed + ", " + dtype + ", " + format + ", "
        + tensors.size() + " tensors, " + parameterCount + " elements)";
  }
}
