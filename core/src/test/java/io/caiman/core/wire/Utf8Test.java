package io.caiman.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Where bytes stop being UTF-8, held to the JDK's strict decoder. */
class Utf8Test {

    @Provide
    Arbitrary<byte[]> mostlyText() {
        Arbitrary<byte[]> pieces = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(4).map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(2),
                Arbitraries.of(new byte[] {(byte) 0xC0, (byte) 0x80}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0xE2, (byte) 0x82}));
        return pieces.list().ofMaxSize(8).map(list -> {
            ByteBuffer all = ByteBuffer.allocate(list.stream().mapToInt(b -> b.length).sum());
            list.forEach(all::put);
            return all.array();
        });
    }

    @Property(tries = 3000)
    void shouldStopExactlyWhereTheStrictDecoderFails(@ForAll("mostlyText") byte[] b) {
        int at = Utf8.invalidAt(b, 0, b.length);
        assertThat(at < 0).isEqualTo(decodes(b, 0, b.length));
        if (at >= 0) {
            assertThat(decodes(b, 0, at)).as("everything before the place is UTF-8").isTrue();
            assertThat(Utf8.column(b, 0, at)).isEqualTo(new String(b, 0, at, StandardCharsets.UTF_8)
                    .codePointCount(0, new String(b, 0, at, StandardCharsets.UTF_8).length()) + 1);
            assertThat(Utf8.describe(b, at, b.length)).startsWith("not valid UTF-8: 0x");
        }
    }

    @Test
    void shouldNameTheColumnInCharactersAndTheBytes() {
        byte[] line = "é€x\u00ff".getBytes(StandardCharsets.UTF_8); // 2 + 3 + 1 + 2 bytes
        line[6] = (byte) 0xE2; // a three-byte lead followed by a continuation and then the end
        int at = Utf8.invalidAt(line, 0, line.length);
        assertThat(at).isEqualTo(6);
        assertThat(Utf8.column(line, 0, at)).isEqualTo(4);
        assertThat(Utf8.describe(line, at, line.length)).isEqualTo("not valid UTF-8: 0xE2 0xBF");
        assertThat(Utf8.invalidAt(line, 0, 6)).isEqualTo(-1);
        assertThat(Utf8.invalidAt(new byte[] {'a', (byte) 0xC0, (byte) 0x80}, 0, 3)).as("overlong").isEqualTo(1);
    }

    private static boolean decodes(byte[] b, int from, int to) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, from, to - from));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
