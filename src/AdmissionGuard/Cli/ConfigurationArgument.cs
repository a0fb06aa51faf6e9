using AdmissionGuard.Hosting;

namespace AdmissionGuard.Cli;

/// <summary>One configuration argument: <c>--Section:Key=Value</c> (one word) or <c>--Section:Key Value</c> (two).</summary>
public sealed record ConfigurationArgument(string Key, string? Value, IReadOnlyList<string> Words)
{
    /// <summary>The key without its section, when the section is <c>AdmissionGuard</c>; null for another section.</summary>
    public string? Setting => Key.StartsWith(GuardOptions.Section + ":", StringComparison.OrdinalIgnoreCase) ? Key[(GuardOptions.Section.Length + 1)..] : null;
}
