/// This build's version: printed by `--version`, and part of what decides
/// that stored output of an older build may differ from this one's.
public enum ToolVersion {
    public static let current = "0.12.0"
}
