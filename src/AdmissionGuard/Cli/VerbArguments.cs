using System.CommandLine;
using System.CommandLine.Help;
using AdmissionGuard.Core;
using AdmissionGuard.Hosting;

namespace AdmissionGuard.Cli;

/// <summary>
/// What a verb was given beyond its own options: configuration arguments, or a usage error on one line
/// that names the unknown word and what was probably meant. Every verb checks this before doing anything,
/// so a mistyped verb cannot start the server and a mistyped option cannot be ignored.
/// </summary>
public sealed record VerbArguments(IReadOnlyList<string> Configuration, string? UsageError)
{
    public const string Program = "admissionguard";

    public static VerbArguments Of(ParseResult result)
    {
        var command = result.CommandResult.Command;
        var (arguments, others) = ConfigurationArguments.Split([.. result.UnmatchedTokens]);
        IReadOnlyList<string> configuration = [.. arguments.SelectMany(a => a.Words)];
        if (command is RootCommand && MistypedVerb(others, command) is { } verb)
        {
            return new(configuration, $"{Program}: {UnknownVerb(verb, command)}");
        }

        if (others.Count > 0)
        {
            return new(configuration, $"{Usage(command)}: {Unknown(others, command)}");
        }

        if (arguments.FirstOrDefault(a => a.Value is null) is { } withoutValue)
        {
            return new(configuration, $"{Usage(command)}: configuration argument --{withoutValue.Key} has no value (write --{withoutValue.Key}=VALUE)");
        }

        // The configuration binder ignores a key no setting has, silently: the command line says so instead.
        if (arguments.FirstOrDefault(a => a.Setting is { } key && !SettingKeys.Sets(key)) is { } unknown)
        {
            var meant = SettingKeys.ArgumentFor(unknown.Setting!, unknown.Value) ?? SettingKeys.ArgumentNear(unknown.Setting!, unknown.Value);
            return new(configuration, meant is null
                ? $"{Usage(command)}: --{unknown.Key} sets nothing: no such setting (see the Settings table in README.md)"
                : $"{Usage(command)}: --{unknown.Key} sets nothing (did you mean {meant}?)");
        }

        return new(configuration, null);
    }

    /// <summary>
    /// A word where the verb goes, so that "admissionguard chekc" does not run serve: the first word, or a
    /// later one that is near a verb (a word after an unknown option may be that option's value).
    /// </summary>
    private static string? MistypedVerb(IReadOnlyList<string> others, Command root)
    {
        var words = others.Where(w => !w.StartsWith('-') && ConfigurationArguments.Meant(w) is null).ToList();
        if (words.Count == 0)
        {
            return null;
        }

        return words[0] == others[0] ? words[0] : words.FirstOrDefault(w => EditDistance.Nearest(w, root.Subcommands.Select(c => c.Name)) is not null);
    }

    private static string UnknownVerb(string word, Command root)
    {
        var verbs = root.Subcommands.Select(c => c.Name).ToList();
        var meant = word.Equals("help", StringComparison.OrdinalIgnoreCase) ? "--help" : EditDistance.Nearest(word, verbs);
        return meant is null
            ? $"unknown verb \"{word}\"; verbs: {string.Join(", ", verbs)}"
            : $"unknown verb \"{word}\" (did you mean \"{meant}\"?); verbs: {string.Join(", ", verbs)}";
    }

    private static string Unknown(IReadOnlyList<string> words, Command command)
    {
        var word = words[0];
        if (ConfigurationArguments.Meant(word) is { } configuration)
        {
            return $"unknown argument {word} (did you mean {configuration}?)";
        }

        if (!word.StartsWith('-'))
        {
            return $"unexpected argument \"{word}\" ({command.Name} takes options only; see {Usage(command)} --help)";
        }

        if (word.StartsWith("--", StringComparison.Ordinal) && word.Split('=', 2)[0].IndexOf(':', StringComparison.Ordinal) is > 2 and var colon)
        {
            var section = word[2..colon];
            return EditDistance.Nearest(section, ConfigurationArguments.Sections) is { } near
                ? $"unknown option {word.Split('=', 2)[0]} (did you mean --{near}{word[colon..]}?)"
                : $"unknown option {word.Split('=', 2)[0]} (not a configuration section AdmissionGuard reads: {string.Join(", ", ConfigurationArguments.Sections)})";
        }

        var (option, value) = word.Split('=', 2) is [var o, var v] ? (o, v) : (word, words.Count > 1 && !words[1].StartsWith('-') ? words[1] : null);
        if (SettingKeys.ArgumentFor(option, value) is { } setting)
        {
            return $"unknown option {option} (did you mean {setting}?)";
        }

        var options = command.Options.Where(o => o is not HelpOption and not VersionOption).ToList();
        // --help belongs to the root (every verb inherits it), so it is not among the verb's own options.
        var aliases = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Append("--help").Distinct().Where(a => a.StartsWith("--", StringComparison.Ordinal));
        if (option.StartsWith("--", StringComparison.Ordinal) && EditDistance.Nearest(option[2..], aliases.Select(a => a[2..])) is { } nearOption)
        {
            return $"unknown option {option} (did you mean --{nearOption}?)";
        }

        if (SettingKeys.ArgumentNear(option, value) is { } nearSetting)
        {
            return $"unknown option {option} (did you mean {nearSetting}?)";
        }

        if (options.Count > 0)
        {
            return $"unknown option {option} (options: {string.Join(", ", options.Select(o => o.Name))}; see {Usage(command)} --help)";
        }

        // serve has no options of its own: an option of another verb means the verb was left out.
        var verbs = command is RootCommand ? command.Subcommands : command.Parents.OfType<Command>().SelectMany(p => p.Subcommands);
        if (verbs.FirstOrDefault(v => v.Options.Any(o => o.Name == option || o.Aliases.Contains(option))) is { } verb)
        {
            return $"unknown option {option} (did you mean {Program} {verb.Name} {option}?)";
        }

        return $"unknown option {option} ({Usage(command)} takes configuration arguments only, such as --{GuardOptions.Section}:Mode=Warn; see {Usage(command)} --help)";
    }

    private static string Usage(Command command) => command is RootCommand ? Program : $"{Program} {command.Name}";
}
