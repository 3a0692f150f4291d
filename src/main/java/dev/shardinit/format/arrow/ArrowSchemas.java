package dev.shardinit.format.arrow;

import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow IPC shard file's schema (docs/FORMAT.md): {@code offset: Int64 not null, values: List<item: T not
 * null> not null} with T = FloatingPoint(SINGLE) (float32), FloatingPoint(DOUBLE) (float64), FloatingPoint(HALF)
 * (float16) or Int(16, unsigned) (bfloat16 bit patterns); the file's metadata is the schema's custom metadata.
 */
public final class ArrowSchemas {
  static final String OFFSET = "offset";
  static final String VALUES = "values";
  /** The list's child field: Arrow's conventional name (pyarrow's default). */
  static final String ITEM = "item";

  private ArrowSchemas() {}

  public static ArrowType elementType(Dtype dt) {
    switch (dt) {
      case FLOAT32: return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case FLOAT64: return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case FLOAT16: return new ArrowType.FloatingPoint(FloatingPointPrecision.HALF);
      case BFLOAT16: return new ArrowType.Int(16, false);
      default: throw new AssertionError(dt);
    }
  }

  public static Dtype dtypeOf(ArrowType t) throws IOException {
    if (t instanceof ArrowType.FloatingPoint) {
      switch (((ArrowType.FloatingPoint) t).getPrecision()) {
        case SINGLE: return Dtype.FLOAT32;
        case DOUBLE: return Dtype.FLOAT64;
        case HALF: return Dtype.FLOAT16;
        default: break;
      }
    } else if (t instanceof ArrowType.Int) {
      ArrowType.Int i = (ArrowType.Int) t;
      if (i.getBitWidth() == 16 && !i.getIsSigned()) {
        return Dtype.BFLOAT16;
      }
    }
    throw new IOException("unsupported element type " + t
        + "; expected FloatingPoint(SINGLE|DOUBLE|HALF) or Int(16, unsigned)");
  }

  public static Schema schema(Dtype dt, Map<String, String> metadata) {
    Field item = new Field(ITEM, FieldType.notNullable(elementType(dt)), null);
    Field offset = new Field(OFFSET, FieldType.notNullable(new ArrowType.Int(64, true)), null);
    Field values = new Field(VALUES, FieldType.notNullable(ArrowType.List.INSTANCE), List.of(item));
    return new Schema(List.of(offset, values), metadata.isEmpty() ? null : metadata);
  }
}
