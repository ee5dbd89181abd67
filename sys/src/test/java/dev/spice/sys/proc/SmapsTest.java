package dev.spice.sys.proc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SmapsTest {
    private static final String DETAILS = """
            Size:                  8 kB
            KernelPageSize:        4 kB
            MMUPageSize:           4 kB
            Rss:                   8 kB
            Pss:                   8 kB
            Private_Dirty:         0 kB
            AnonHugePages:         0 kB
            FilePmdMapped:         0 kB
            THPeligible:           0
            ProtectionKey:         0
            """;

    private static String area(String header, String vmFlags) {
        return header + "\n" + DETAILS + "VmFlags: " + vmFlags + "\n";
    }

    private static final String SMAPS = area(
            "5567d58ee000-5567d58f0000 r--p 00000000 fe:00 260386                     /usr/bin/head", "rd mr mw me ")
            + area("5567d58f0000-5567d58f6000 r-xp 00002000 fe:00 260386                     /usr/bin/head",
                    "rd ex mr mw me")
            + area("56359dafb000-56359db3f000 rw-p 00000000 00:00 0                          [heap]", "rd wr mr mw me ac ")
            + area("7f1d03ee0000-7f1d03ee3000 rw-p 00000000 00:00 0 ", "rd wr mr mw me ac ")
            + area("7f1d04000000-7f1d04010000 rw-s 00001000 103:2f 1234567                  "
                    + "/tmp/my data/shared  file.bin", "rd wr sh mr mw me ms ")
            + area("7f1d04010000-7f1d04011000 r--p 00000000 00:2a 99                         /tmp/gone.so (deleted)",
                    "rd mr mw me ")
            + area("7f1d04170000-7f1d04172000 r-xp 00000000 00:00 0                          [vdso]",
                    "rd ex mr mw me de sd ")
            + area("7fff31c86000-7fff31ca7000 rw-p 00000000 00:00 0                          [stack]",
                    "rd wr mr mw me gd ac ")
            + area("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]", "ex ");

    private final List<Mapping> maps = Smaps.parse(SMAPS);

    @Test
    void oneMappingPerArea() {
        assertThat(maps).extracting(Mapping::name).containsExactly("/usr/bin/head", "/usr/bin/head", "[heap]", "",
                "/tmp/my data/shared  file.bin", "/tmp/gone.so (deleted)", "[vdso]", "[stack]", "[vsyscall]");
    }

    @Test
    void headerFields() {
        Mapping text = maps.get(1);
        assertThat(text.start()).isEqualTo(0x5567d58f0000L);
        assertThat(text.end()).isEqualTo(0x5567d58f6000L);
        assertThat(text.size()).isEqualTo(0x6000L);
        assertThat(text.offset()).isEqualTo(0x2000L);
        assertThat(text.devMajor()).isEqualTo(0xfe);
        assertThat(text.devMinor()).isZero();
        assertThat(text.inode()).isEqualTo(260386L);
        assertThat(text.prot()).isEqualTo(1 | 4);
        assertThat(text.shared()).isFalse();
        assertThat(text.isFile()).isTrue();
        assertThat(text.contains(0x5567d58f5fffL)).isTrue();
        assertThat(text.contains(0x5567d58f6000L)).isFalse();
    }

    @Test
    void sharedFileWithSpacesInItsName() {
        Mapping shared = maps.get(4);
        assertThat(shared.shared()).isTrue();
        assertThat(shared.prot()).isEqualTo(1 | 2);
        assertThat(shared.offset()).isEqualTo(0x1000L);
        assertThat(shared.devMajor()).isEqualTo(0x103);
        assertThat(shared.devMinor()).isEqualTo(0x2f);
        assertThat(shared.inode()).isEqualTo(1234567L);
        assertThat(shared.isFile()).isTrue();
        assertThat(shared.vmFlags()).contains("sh", "ms");
    }

    @Test
    void deletedFile() {
        Mapping gone = maps.get(5);
        assertThat(gone.isDeleted()).isTrue();
        assertThat(gone.isFile()).isTrue();
        assertThat(maps.get(0).isDeleted()).isFalse();
    }

    @Test
    void anonymousAndSpecialAreas() {
        Mapping anon = maps.get(3);
        assertThat(anon.name()).isEmpty();
        assertThat(anon.isFile()).isFalse();
        assertThat(anon.isSpecial()).isFalse();
        assertThat(anon.inode()).isZero();
        assertThat(maps.get(2).isSpecial()).isTrue();
        assertThat(maps.get(2).isFile()).isFalse();
        assertThat(maps.get(6).isSpecial()).isTrue();
    }

    @Test
    void vmFlagsAreSplitWithoutBlanks() {
        assertThat(maps.get(0).vmFlags()).containsExactlyInAnyOrder("rd", "mr", "mw", "me");
        assertThat(maps.get(1).vmFlags()).containsExactlyInAnyOrder("rd", "ex", "mr", "mw", "me");
        assertThat(maps.get(7).vmFlags()).contains("gd");
    }

    @Test
    void addressesAboveSignedRange() {
        Mapping vsyscall = maps.get(8);
        assertThat(vsyscall.start()).isEqualTo(0xffffffffff600000L);
        assertThat(vsyscall.size()).isEqualTo(0x1000L);
        assertThat(vsyscall.prot()).isEqualTo(4);
    }

    @Test
    void areaWithoutVmFlagsLineHasNoFlags() {
        String truncated = SMAPS.substring(0, SMAPS.lastIndexOf("VmFlags:"));

        List<Mapping> parsed = Smaps.parse(truncated);

        assertThat(parsed).hasSameSizeAs(maps);
        assertThat(parsed.getLast().name()).isEqualTo("[vsyscall]");
        assertThat(parsed.getLast().vmFlags()).isEmpty();
    }

    @Test
    void mapsFormatGivesEveryMappingWithoutFlags() {
        String mapsText = SMAPS.lines().filter(l -> l.matches("[0-9a-f]+-[0-9a-f]+ .*"))
                .collect(Collectors.joining("\n", "", "\n"));

        List<Mapping> parsed = Smaps.parse(mapsText);

        assertThat(parsed).extracting(Mapping::name)
                .containsExactlyElementsOf(maps.stream().map(Mapping::name).toList());
        assertThat(parsed).allSatisfy(m -> assertThat(m.vmFlags()).isEmpty());
        assertThat(parsed.get(4).devMajor()).isEqualTo(0x103);
    }

    @Test
    void ownProcessHasAVdso() {
        List<Mapping> own = Smaps.read((int) ProcessHandle.current().pid());

        assertThat(own).filteredOn(m -> m.name().equals("[vdso]")).singleElement()
                .satisfies(m -> assertThat(m.exec()).isTrue());
        assertThat(own).isSortedAccordingTo((a, b) -> Long.compareUnsigned(a.start(), b.start()));
        assertThat(Smaps.readMaps((int) ProcessHandle.current().pid()))
                .anySatisfy(m -> assertThat(m.name()).isEqualTo("[vdso]"));
    }
}
