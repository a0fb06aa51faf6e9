using AdmissionGuard.Hosting;

namespace AdmissionGuard.Cli;

/// <summary>
/// Which command-line words are ASP.NET configuration arguments (<c>--AdmissionGuard:Mode=Warn</c>,
/// <c>--Kestrel:Endpoints:Webhook:Url https://...</c>) rather than options of a verb.
/// </summary>
public static class ConfigurationArguments
{
    /// <summary>
    /// The sections the product reads. Only these are taken as configuration, so that a mistyped option
    /// is an error instead of a setting nobody reads (<c>Logging</c> and <c>Serilog</c> are not read:
    /// logging is configured in code).
    /// </summary>
    public static IReadOnlyList<string> Sections { get; } = [GuardOptions.Section, "Kestrel"];

    /// <summary>
    /// Splits unmatched words into configuration arguments and the rest, in order. A key without
    /// <c>=</c> takes the next word as its value, as ASP.NET's command-line provider does; at the end
    /// it has none (<see cref="ConfigurationArgument.Value"/> null), and the provider would drop it.
    /// </summary>
    public static (IReadOnlyList<ConfigurationArgument> Configuration, IReadOnlyList<string> Others) Split(IReadOnlyList<string> words)
    {
        var configuration = new List<ConfigurationArgument>();
        var others = new List<string>();
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            var parts = word.Split('=', 2);
            if (!word.StartsWith("--", StringComparison.Ordinal) || !IsKey(parts[0][2..]))
            {
                others.Add(word);
            }
            else if (parts.Length == 2)
            {
                configuration.Add(new(parts[0][2..], parts[1], [word]));
            }
            else if (i + 1 < words.Count)
            {
                configuration.Add(new(word[2..], words[i + 1], [word, words[++i]]));
            }
            else
            {
                configuration.Add(new(word[2..], null, [word]));
            }
        }

        return (configuration, others);
    }

    /// <summary>The configuration argument a word was probably meant as (<c>AdmissionGuard:Mode=Warn</c>, <c>/AdmissionGuard:Mode=Warn</c>), if any.</summary>
    public static string? Meant(string word)
    {
        var key = word.TrimStart('-', '/');
        return key.Length < word.Length - 2 || !IsKey(key.Split('=', 2)[0]) ? null : "--" + key;
    }

    private static bool IsKey(string key)
    {
        var parts = key.Split(':', 2);
        return parts.Length == 2 && parts[1].Length > 0 && Sections.Contains(parts[0], StringComparer.OrdinalIgnoreCase);
    }
}
