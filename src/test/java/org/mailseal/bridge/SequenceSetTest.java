package org.mailseal.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Sequence sets as QRESYNC needs them (RFC 7162 §3.2.5.1), and keywords that go to the provider as they are. */
class SequenceSetTest {

    @Test
    void formatsAscendingNumbersAsRanges() {
        assertThat(SequenceSet.format(List.of(1L, 2L, 3L, 7L, 9L, 10L))).isEqualTo("1:3,7,9:10");
        assertThat(SequenceSet.format(List.of(5L))).isEqualTo("5");
        assertThat(SequenceSet.format(List.of())).isEmpty();
    }

    @Test
    void lackingGivesTheKnownUidsThatAreGone() {
        List<Long> present = List.of(2L, 3L, 6L, 10L);
        assertThat(SequenceSet.parse("1:10", 10).lacking(present, 10)).isEqualTo("1,4:5,7:9");
        assertThat(SequenceSet.parse("2:3,6", 10).lacking(present, 10)).isEmpty();
        // overlapping ranges of the client's set, and a range beyond the largest UID there can be
        assertThat(SequenceSet.parse("1:5,4:8,20:30", 10).lacking(present, 12)).isEqualTo("1,4:5,7:8");
        assertThat(SequenceSet.parse("1:*", 12).lacking(present, 12)).isEqualTo("1,4:5,7:9,11:12");
        // a client's whole UID space costs no more than the UIDs present
        assertThat(SequenceSet.parse("1:4294967295", 10).lacking(present, 10)).isEqualTo("1,4:5,7:9");
        assertThat(SequenceSet.parse("1:3", 3).lacking(List.of(), 3)).isEqualTo("1:3");
    }

    @Test
    void aKeywordThatIsNotAnAtomIsRefused() {
        assertThat(ImapSession.parseFlags(List.of("\\Seen", "$Label1")).getUserFlags()).containsExactly("$Label1");
        for (String bad : List.of("a b", "x)", "(y", "q\"", "r\\s", "t]", "u{3}", "v\r\nA1 DELETE INBOX", "w*", "z%")) {
            assertThatThrownBy(() -> ImapSession.parseFlags(List.of(bad))).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
