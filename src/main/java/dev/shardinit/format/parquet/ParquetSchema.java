package dev.shardinit.format.parquet;

import dev.shardinit.init.Dtype;
import java.io.IOException;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * The Parquet shard file's schema (docs/FORMAT.md):
 *
 * <pre>
 * message shardinit_tensor {
 *   required int64 offset;
 *   required group values (LIST) {
 *     repeated group list {
 *       required &lt;element type&gt; element;
 *     }
 *   }
 * }
 * </pre>
 *
 * with element type {@code float} (float32), {@code double} (float64), {@code fixed_len_byte_array(2)
 * (FLOAT16)} (float16, the IEEE half bits little-endian) or {@code fixed_len_byte_array(2)} with no logical
 * type (bfloat16, the 16-bit pattern little-endian).
 */
public final class ParquetSchema {
  static final String MESSAGE = "shardinit_tensor";
  static final String OFFSET = "offset";
  static final String VALUES = "values";
  static final String LIST = "list";
  static final String ELEMENT = "element";
  static final String[] OFFSET_PATH = {OFFSET};
  static final String[] VALUES_PATH = {VALUES, LIST, ELEMENT};

  private ParquetSchema() {}

  /** The element column's type for a dtype. */
  public static PrimitiveType elementType(Dtype dt) {
    switch (dt) {
      case FLOAT32: return Types.required(PrimitiveTypeName.FLOAT).named(ELEMENT);
      case FLOAT64: return Types.required(PrimitiveTypeName.DOUBLE).named(ELEMENT);
      case FLOAT16:
        return Types.required(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(2)
            .as(LogicalTypeAnnotation.float16Type()).named(ELEMENT);
      case BFLOAT16: return Types.required(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(2).named(ELEMENT);
      default: throw new AssertionError(dt);
    }
  }

  /** The file schema for a dtype. */
  public static MessageType schema(Dtype dt) {
    return Types.buildMessage()
        .required(PrimitiveTypeName.INT64).named(OFFSET)
        .requiredGroup().as(LogicalTypeAnnotation.listType())
            .repeatedGroup().addField(elementType(dt)).named(LIST)
            .named(VALUES)
        .named(MESSAGE);
  }

  /** The dtype stored in an element column, from its physical and logical type. */
  public static Dtype dtypeOf(PrimitiveType t) throws IOException {
    LogicalTypeAnnotation a = t.getLogicalTypeAnnotation();
    switch (t.getPrimitiveTypeName()) {
      case FLOAT:
        if (a == null) {
          return Dtype.FLOAT32;
        }
        break;
      case DOUBLE:
        if (a == null) {
          return Dtype.FLOAT64;
        }
        break;
      case FIXED_LEN_BYTE_ARRAY:
        if (t.getTypeLength() == 2 && LogicalTypeAnnotation.float16Type().equals(a)) {
          return Dtype.FLOAT16;
        }
        if (t.getTypeLength() == 2 && a == null) {
          return Dtype.BFLOAT16;
        }
        break;
      default:
        break;
    }
    throw new IOException("unsupported element type '" + t + "'; expected float, double, "
        + "fixed_len_byte_array(2) (FLOAT16) or fixed_len_byte_array(2) (bfloat16)");
  }
}
