using System.Collections;
using System.Reflection;
using AdmissionGuard.Cluster;
using AdmissionGuard.Core;
using AdmissionGuard.Hosting;

namespace AdmissionGuard.Cli;

/// <summary>
/// The keys under <c>AdmissionGuard</c> that the settings read, so that an option written like a setting
/// (<c>--mode=Warn</c>) can be answered with the configuration argument that sets it.
/// </summary>
public static class SettingKeys
{
    /// <summary>
    /// Each key as written after <c>AdmissionGuard:</c>, with the suffix an entry needs (<c>:0</c> for a
    /// list, <c>:NAME</c> for a map). Read from the option classes, so a new setting is known at once.
    /// </summary>
    public static IReadOnlyList<(string Key, string EntrySuffix)> All { get; } =
    [
        .. Keys(typeof(GuardOptions), ""),
        .. Keys(typeof(DriftOptions), DriftOptions.Section[(GuardOptions.Section.Length + 1)..] + ":"),
    ];

    /// <summary>
    /// The configuration argument for an option name that names a setting, ignoring case, dashes and
    /// underscores: by its whole key (<c>--git-ref</c>) or, failing that, its last part (<c>--mode</c>).
    /// </summary>
    public static string? ArgumentFor(string optionName, string? value) => Argument(Squashed(optionName), value, (name, key) => name == key);

    /// <summary>As <see cref="ArgumentFor"/>, for a name near a setting's (<c>--repo</c>, <c>--mdoe</c>).</summary>
    public static string? ArgumentNear(string optionName, string? value) =>
        Argument(Squashed(optionName), value, (name, key) => EditDistance.Nearest(name, [key]) is not null);

    /// <summary>
    /// Whether a key under <c>AdmissionGuard</c> sets something: a setting, or an entry of a list or map
    /// (<c>Trusted:Users:0</c>, <c>NamespaceModes:shop</c>). The binder ignores any other key without a word,
    /// and a list given one value (<c>ExcludedNamespaces=shop</c>) too.
    /// </summary>
    public static bool Sets(string key)
    {
        var parts = key.Split(':');
        return All.Any(k =>
        {
            var pattern = k.Key.Split(':');
            var entry = k.EntrySuffix.Length == 0 ? 0 : 1;
            return parts.Length == pattern.Length + entry
                && pattern.Select((p, i) => p == ListIndex ? IsIndex(parts[i]) : parts[i].Equals(p, StringComparison.OrdinalIgnoreCase)).All(m => m)
                && (entry == 0 || parts[^1].Length > 0);
        });
    }

    /// <summary>Stands for an entry's number in the key of a list of settings groups (<c>Git:Sources:#:Path</c>).</summary>
    private const string ListIndex = "#";

    private static bool IsIndex(string part) => part.Length > 0 && part.All(char.IsAsciiDigit);

    private static string? Argument(string name, string? value, Func<string, string, bool> matches)
    {
        if (name.Length == 0)
        {
            return null;
        }

        var match = All.FirstOrDefault(k => matches(name, Squashed(k.Key)));
        if (match.Key is null)
        {
            match = All.FirstOrDefault(k => matches(name, Squashed(k.Key[(k.Key.LastIndexOf(':') + 1)..])));
        }

        return match.Key is null ? null : $"--{GuardOptions.Section}:{match.Key.Replace($":{ListIndex}:", ":0:", StringComparison.Ordinal)}{match.EntrySuffix}={value ?? "VALUE"}";
    }

    private static string Squashed(string name) =>
        new([.. name.Where(c => c is not ('-' or '_' or ':')).Select(char.ToUpperInvariant)]);

    private static IEnumerable<(string Key, string EntrySuffix)> Keys(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true))
        {
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var name = property.GetCustomAttribute<Microsoft.Extensions.Configuration.ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
            var key = prefix + name;
            if (propertyType.IsAssignableTo(typeof(IDictionary)))
            {
                yield return (key, ":NAME");
            }
            else if (propertyType != typeof(string) && propertyType.IsAssignableTo(typeof(IEnumerable)))
            {
                var item = propertyType.IsGenericType ? propertyType.GetGenericArguments()[0] : typeof(string);
                if (item.IsClass && item != typeof(string))
                {
                    // A list of settings groups: each entry's keys under its number.
                    foreach (var nested in Keys(item, $"{key}:{ListIndex}:"))
                    {
                        yield return nested;
                    }
                }
                else
                {
                    yield return (key, ":0");
                }
            }
            else if (propertyType.IsClass && propertyType != typeof(string))
            {
                foreach (var nested in Keys(propertyType, key + ":"))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return (key, "");
            }
        }
    }
}
