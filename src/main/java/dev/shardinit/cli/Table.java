package dev.shardinit.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table with left-aligned columns. */
final class Table {
  private final String[] header;
  private final List<String[]> rows = new ArrayList<>();

  Table(String... header) {
    this.header = header;
  }

  void row(String... cells) {
    rows.add(cells);
  }

  void print(PrintWriter o) {
    int[] w = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      w[i] = header[i].length();
    }
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    line(o, header, w);
    StringBuilder rule = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      rule.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
    }
    o.println(rule);
    for (String[] r : rows) {
      line(o, r, w);
    }
  }

  private static void line(PrintWriter o, String[] cells, int[] w) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        b.append("  ");
      }
      b.append(cells[i]);
      if (i < cells.length - 1) {
        b.append(" ".repeat(w[i] - cells[i].length()));
      }
    }
    o.println(b);
  }
}
