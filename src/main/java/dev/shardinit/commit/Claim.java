package dev.shardinit.commit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A run's exclusive claim on an output directory: the file {@value #FILE} in it, created atomically (create
 * without overwrite), holding the run's id, host, process and start time, and, for a run that replaces a
 * checkpoint, where it stages the new one. The run refreshes the file's modification time every
 * {@link #HEARTBEAT_MILLIS} ms.
 *
 * <p>A claim is the claim of a live run when its process still runs (same host: the process id exists and
 * started when the claim says); on another host, when it was refreshed within {@link #STALE_MILLIS} ms. Anything
 * else is the claim of a run that died (killed, or its machine lost), which {@code --overwrite} may take over.
 */
public record Claim(String run, String host, long pid, String pidStarted, String started, String staging) {
  /** The claim's file name in the output directory. */
  public static final String FILE = ".shardinit-run";
  static final long HEARTBEAT_MILLIS = 15_000;
  static final long STALE_MILLIS = 120_000;
  private static final String KIND = "shardinit-run";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The claim of this process for run {@code run}, staging at {@code staging} (null: writing in place). */
  static Claim mine(String run, String staging) {
    ProcessHandle me = ProcessHandle.current();
    return new Claim(run, hostName(), me.pid(), me.info().startInstant().map(Instant::toString).orElse(null),
        Instant.now().toString(), staging);
  }

  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown-host";
    }
  }

  byte[] toBytes() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", KIND);
    m.put("run", run);
    m.put("host", host);
    m.put("pid", pid);
    m.put("pid_started", pidStarted);
    m.put("started", started);
    m.put("staging", staging);
    try {
      return (JSON.writeValueAsString(m) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The claim a file holds, or empty when it holds none (empty, being written, or not ours). */
  static Optional<Claim> parse(byte[] bytes) {
    try {
      JsonNode n = JSON.readTree(bytes);
      if (n == null || !KIND.equals(n.path("kind").asText()) || !n.path("run").isTextual()) {
        return Optional.empty();
      }
      return Optional.of(new Claim(n.path("run").asText(), n.path("host").asText(""), n.path("pid").asLong(-1),
          n.path("pid_started").isTextual() ? n.path("pid_started").asText() : null, n.path("started").asText(""),
          n.path("staging").isTextual() ? n.path("staging").asText() : null));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Whether the run that made this claim still runs, judged here, now; {@code refreshed}: the file's mtime. */
  boolean alive(long refreshedMillis) {
    if (host.equals(hostName()) && pid > 0) {
      Optional<ProcessHandle> p = ProcessHandle.of(pid);
      if (p.isEmpty() || !p.get().isAlive()) {
        return false;
      }
      Optional<Instant> st = p.get().info().startInstant();
      return pidStarted == null || st.isEmpty() || st.get().toString().equals(pidStarted); // else: pid reused
    }
    return System.currentTimeMillis() - refreshedMillis < STALE_MILLIS;
  }

  /** "shardinit run 3f2a9c1e0b7d (pid 1234 on host h, started 2026-11-30T15:30:00Z)". */
  String describe() {
    return "shardinit run " + shortId(run) + " (pid " + pid + " on host " + host + ", started " + started + ")";
  }

  static String shortId(String run) {
    return run.length() > 12 ? run.substring(0, 12) : run;
  }
}
