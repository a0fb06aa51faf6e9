using System.Collections.Immutable;
using System.Globalization;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Hosting;

/// <summary>
/// Turns <see cref="GuardOptions"/> into the <see cref="DecisionSettings"/> the rules read, collecting
/// every invalid setting as one line that names its configuration key.
/// </summary>
public static class SettingsCompiler
{
    public static DecisionSettings Compile(GuardOptions options, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var settings = new DecisionSettings();
        var key = GuardOptions.Section;

        var mode = ParseEnum(options.Mode, $"{key}:Mode", GuardMode.Enforce, problems);
        var namespaceModes = NamespaceModes(options, key, problems);

        var users = Listed(options.Trusted.Users, []);
        foreach (var user in users.Where(u => u.Trim() is "*" or ""))
        {
            problems.Add($"{key}:Trusted:Users: \"{user}\" would trust everyone; name the GitOps accounts (a prefix such as system:serviceaccount:flux-system:* is allowed)");
        }

        var breakGlass = new BreakGlassSettings
        {
            Annotation = NonEmpty(options.BreakGlass.Annotation, $"{key}:BreakGlass:Annotation", settings.BreakGlass.Annotation, problems),
            ExpiresAnnotation = NonEmpty(options.BreakGlass.ExpiresAnnotation, $"{key}:BreakGlass:ExpiresAnnotation", settings.BreakGlass.ExpiresAnnotation, problems),
            MaxDuration = ParseDuration(options.BreakGlass.MaxDuration, $"{key}:BreakGlass:MaxDuration", settings.BreakGlass.MaxDuration, problems),
            AllowedGroups = Listed(options.BreakGlass.AllowedGroups, settings.BreakGlass.AllowedGroups),
        };

        var compareMetadata = ParseBool(options.CompareMetadata, $"{key}:CompareMetadata", problems);
        var ignoredKeys = Listed(options.IgnoredMetadataKeys, DecisionSettings.DefaultIgnoredMetadataKeys)
            .Concat([breakGlass.Annotation, breakGlass.ExpiresAnnotation]);

        if (string.IsNullOrWhiteSpace(options.Git.Repository))
        {
            problems.Add($"{key}:Git:Repository: required (an https:// or file:// URL, or a local path)");
        }

        ParseDuration(options.Git.RefreshInterval, $"{key}:Git:RefreshInterval", TimeSpan.Zero, problems);
        Git.Sources.SourcePlan.Compile(options.Git, problems, $"{key}:Git");

        settings = settings with
        {
            Mode = mode,
            NamespaceModes = namespaceModes,
            Trusted = new TrustedAccounts(
                users,
                Listed(options.Trusted.Groups, []),
                Listed(options.Trusted.SystemDeleters, TrustedAccounts.DefaultSystemDeleters)),
            BreakGlass = breakGlass,
            GovernedNamespaces = [.. Listed(options.GovernedNamespaces, ["*"]).Select(p => new NamespacePattern(p))],
            ExcludedNamespaces = [.. Listed(options.ExcludedNamespaces, ["kube-system"]).Select(p => new NamespacePattern(p))],
            UnmanagedObjects = ParseEnum(options.UnmanagedObjects, $"{key}:UnmanagedObjects", Fallback.Deny, problems),
            WhenBaselineUnavailable = ParseEnum(options.WhenBaselineUnavailable, $"{key}:WhenBaselineUnavailable", Fallback.Deny, problems),
            CompareMetadata = compareMetadata ? new MetadataFilter(ignoredKeys) : null,
        };

        errors = problems;
        return settings;
    }

    /// <summary><c>NamespaceModes</c> (pattern as the key) and <c>NamespaceModeRules</c> (<c>pattern=Mode</c> entries) together; a pattern given twice is a problem.</summary>
    private static ImmutableArray<(NamespacePattern, GuardMode)> NamespaceModes(GuardOptions options, string key, List<string> problems)
    {
        var modes = new Dictionary<string, GuardMode>(StringComparer.Ordinal);
        foreach (var (pattern, value) in options.NamespaceModes ?? [])
        {
            modes[pattern] = ParseEnum(value, $"{key}:NamespaceModes:{pattern}", GuardMode.Enforce, problems);
        }

        for (var index = 0; index < (options.NamespaceModeRules?.Count ?? 0); index++)
        {
            var rule = options.NamespaceModeRules![index] ?? "";
            var setting = $"{key}:NamespaceModeRules:{index}";
            var equals = rule.IndexOf('=', StringComparison.Ordinal);
            var pattern = equals > 0 ? rule[..equals].Trim() : "";
            if (pattern.Length == 0 || string.IsNullOrWhiteSpace(rule[(equals + 1)..]))
            {
                problems.Add($"{setting}: \"{rule.ReplaceLineEndings(" ")}\" is not pattern=Mode (for example team-*=Warn)");
            }
            else if (!modes.TryAdd(pattern, ParseEnum(rule[(equals + 1)..], setting, GuardMode.Enforce, problems)))
            {
                problems.Add($"{setting}: namespace pattern \"{pattern}\" already has a mode");
            }
        }

        return [.. modes.Select(entry => (new NamespacePattern(entry.Key), entry.Value))];
    }

    private static ImmutableArray<string> Listed(List<string>? configured, ImmutableArray<string> defaults) =>
        configured is null ? defaults : [.. configured.Where(v => v is not null).Select(v => v.Trim())];

    private static T ParseEnum<T>(string? value, string key, T fallback, List<string> problems)
        where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        // Names only: Enum.TryParse would also take "1" or "Enforce, Warn".
        if (Enum.GetNames<T>().FirstOrDefault(name => name.Equals(value.Trim(), StringComparison.OrdinalIgnoreCase)) is { } name)
        {
            return Enum.Parse<T>(name);
        }

        problems.Add($"{key}: \"{value.ReplaceLineEndings(" ")}\" is not one of {string.Join(", ", Enum.GetNames<T>())}");
        return fallback;
    }

    private static bool ParseBool(string? value, string key, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        if (bool.TryParse(value.Trim(), out var parsed))
        {
            return parsed;
        }

        problems.Add($"{key}: \"{value}\" is not true or false");
        return false;
    }

    private static TimeSpan ParseDuration(string? value, string key, TimeSpan fallback, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (Durations.TryParse(value, out var duration))
        {
            return duration;
        }

        problems.Add($"{key}: \"{value}\" is not a duration such as 30s, 15m, 4h or 04:00:00");
        return fallback;
    }

    private static string NonEmpty(string? value, string key, string fallback, List<string> problems)
    {
        if (value is null)
        {
            return fallback;
        }

        if (value.Trim().Length == 0)
        {
            problems.Add($"{key}: must not be empty");
            return fallback;
        }

        return value.Trim();
    }
}
