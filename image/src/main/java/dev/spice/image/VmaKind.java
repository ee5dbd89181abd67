package dev.spice.image;

/** How a mapping is rebuilt; the codes are those of the image format. */
public enum VmaKind {
    ANON(1, "anonymous"),
    FILE(2, "file"),
    SHARED_ANON(3, "shared anonymous"),
    VDSO(4, "[vdso]"),
    VVAR(5, "[vvar]"),
    VVAR_VCLOCK(6, "[vvar_vclock]");

    private final int code;
    private final String label;

    VmaKind(int code, String label) {
        this.code = code;
        this.label = label;
    }

    public int code() {
        return code;
    }

    public String label() {
        return label;
    }

    public boolean isVdsoPart() {
        return this == VDSO || this == VVAR || this == VVAR_VCLOCK;
    }

    public static VmaKind of(int code) {
        for (VmaKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new ImageFormatException("unknown mapping kind " + code);
    }
}
