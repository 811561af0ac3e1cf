package io.caiman.schemas.codec;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * A schema of records, enums and primitives flattened into a list of steps that walk a binary body without building
 * anything, checking as it goes: varints end within the body, lengths are not negative and stay inside it, enum
 * indexes name a symbol. Written here because Avro's own skip ({@code GenericDatumReader.skip}) walks the schema
 * tree per value and takes a thread-local allocation scope, which a replay paid on every record, and it lets a
 * negative string length pass.
 *
 * <p>Schemas with unions, arrays, maps or fixed values are not compiled ({@link #of} returns {@code null}); their
 * bodies are checked with Avro's skip.
 */
final class SkipProgram {

    private static final int DOUBLE = 0;
    private static final int FLOAT = 1;
    private static final int VARINT = 2;
    private static final int STRING = 3;
    private static final int BOOLEAN = 4;
    /** An enum: the next int is its symbol count. */
    private static final int ENUM = 5;

    private final int[] steps;

    private SkipProgram(int[] steps) {
        this.steps = steps;
    }

    /** The program of {@code schema}, or {@code null} when it holds something the program does not walk. */
    static SkipProgram of(Schema schema) {
        List<Integer> steps = new ArrayList<>();
        if (!compile(schema, steps)) {
            return null;
        }
        return new SkipProgram(steps.stream().mapToInt(Integer::intValue).toArray());
    }

    private static boolean compile(Schema schema, List<Integer> steps) {
        switch (schema.getType()) {
            case RECORD:
                for (Schema.Field f : schema.getFields()) {
                    if (!compile(f.schema(), steps)) {
                        return false;
                    }
                }
                return true;
            case ENUM:
                steps.add(ENUM);
                steps.add(schema.getEnumSymbols().size());
                return true;
            case DOUBLE:
                steps.add(DOUBLE);
                return true;
            case FLOAT:
                steps.add(FLOAT);
                return true;
            case INT:
            case LONG:
                steps.add(VARINT);
                return true;
            case STRING:
            case BYTES:
                steps.add(STRING);
                return true;
            case BOOLEAN:
                steps.add(BOOLEAN);
                return true;
            case NULL:
                return true;
            default:
                return false;
        }
    }

    /**
     * Walks the body {@code b[from..b.length)}.
     *
     * @throws IllegalArgumentException saying where the body is corrupt
     */
    void walk(byte[] b, int from) {
        int at = from;
        int end = b.length;
        for (int i = 0; i < steps.length; i++) {
            switch (steps[i]) {
                case DOUBLE -> at += 8;
                case FLOAT -> at += 4;
                case BOOLEAN -> at += 1;
                case VARINT -> at = skipVarint(b, at, end);
                case STRING -> {
                    long packed = readInt(b, at, end);
                    int length = (int) packed;
                    at = (int) (packed >>> 32);
                    if (length < 0 || length > end - at) {
                        throw new IllegalArgumentException("a length of " + length + " at byte " + at
                                + " does not fit in the body");
                    }
                    at += length;
                }
                case ENUM -> {
                    long packed = readInt(b, at, end);
                    int index = (int) packed;
                    at = (int) (packed >>> 32);
                    int symbols = steps[++i];
                    if (index < 0 || index >= symbols) {
                        throw new IllegalArgumentException("enum index " + index + " at byte " + at + " is not one of "
                                + symbols + " symbols");
                    }
                }
                default -> throw new IllegalStateException("unknown step " + steps[i]);
            }
            if (at > end) {
                throw new IllegalArgumentException("the body ends before its last field (" + (end - from) + " bytes)");
            }
        }
    }

    private static int skipVarint(byte[] b, int at, int end) {
        for (int n = 0; n < 10; n++) {
            if (at >= end) {
                throw new IllegalArgumentException("the body ends inside a number");
            }
            if ((b[at++] & 0x80) == 0) {
                return at;
            }
        }
        throw new IllegalArgumentException("a number longer than 10 bytes at byte " + (at - 10));
    }

    /**
     * Reads a zig-zag varint that must fit an int (a length or an enum index).
     *
     * @return the position after it in the high 32 bits, the value in the low 32
     */
    private static long readInt(byte[] b, int at, int end) {
        long raw = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (at >= end) {
                throw new IllegalArgumentException("the body ends inside a number");
            }
            byte x = b[at++];
            raw |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                long value = (raw >>> 1) ^ -(raw & 1);
                if (value != (int) value) {
                    throw new IllegalArgumentException("a length or index of " + value + " before byte " + at);
                }
                return ((long) at << 32) | (value & 0xFFFFFFFFL);
            }
        }
        throw new IllegalArgumentException("an int longer than 5 bytes before byte " + at);
    }
}
