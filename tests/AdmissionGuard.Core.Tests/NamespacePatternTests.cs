using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Core.Tests;

/// <summary>Namespace globs, which namespaces are governed, and which mode applies where.</summary>
public class NamespacePatternTests
{
    public static TheoryData<string, string, string, bool> Globs => new()
    {
        { "exact name matches itself", "shop", "shop", true },
        { "exact name does not match a longer name", "shop", "shop-2", false },
        { "exact name is case-sensitive", "shop", "Shop", false },
        { "star matches everything", "*", "anything", true },
        { "star matches the empty name", "*", "", true },
        { "trailing star matches by prefix", "team-*", "team-payments", true },
        { "trailing star matches the bare prefix", "team-*", "team-", true },
        { "trailing star needs the whole prefix", "team-*", "team", false },
        { "leading star matches by suffix", "*-prod", "shop-prod", true },
        { "leading star does not match another suffix", "*-prod", "shop-production", false },
        { "question mark matches one character", "team-?", "team-a", true },
        { "question mark does not match none", "team-?", "team-", false },
        { "question mark does not match two", "team-?", "team-ab", false },
        { "two stars backtrack", "a*b*c", "axxbyybzc", true },
        { "two stars need every literal", "a*b*c", "axxbyy", false },
        { "star in the middle", "team-*-prod", "team-a-b-prod", true },
        { "consecutive stars are one star", "team-**", "team-x", true },
    };

    [Theory]
    [MemberData(nameof(Globs))]
    public void Glob_matches_namespaces(string behaviour, string pattern, string ns, bool matches)
    {
        Assert.True(new NamespacePattern(pattern).Matches(ns) == matches, $"{behaviour}: {pattern} vs \"{ns}\"");
    }

    [Theory]
    [InlineData("shop", true, 4)]
    [InlineData("team-*", false, 5)]
    [InlineData("sho?", false, 3)]
    [InlineData("*", false, 0)]
    public void Pattern_knows_whether_it_is_exact_and_how_literal_it_is(string pattern, bool exact, int literals)
    {
        var parsed = new NamespacePattern(pattern);

        Assert.Equal(exact, parsed.IsExact);
        Assert.Equal(literals, parsed.LiteralCharacters);
    }

    private static readonly (string, GuardMode)[] ModeEntries =
    [
        ("*", GuardMode.Warn),
        ("team-*", GuardMode.Enforce),
        ("team-pay*", GuardMode.Warn),
        ("team-payments", GuardMode.Enforce),
        ("te??-a", GuardMode.Warn),
    ];

    public static TheoryData<string, string, GuardMode> Modes => new()
    {
        { "no entry matches: the global mode", "", GuardMode.Enforce },
        { "only the catch-all matches", "shop", GuardMode.Warn },
        { "the longer pattern beats the catch-all", "team-infra", GuardMode.Enforce },
        { "the pattern with more literal characters wins", "team-payroll", GuardMode.Warn },
        { "an exact name beats every pattern", "team-payments", GuardMode.Enforce },
        { "a question mark is not a literal character", "team-a", GuardMode.Enforce },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Mode_comes_from_the_most_specific_entry_in_any_order(string behaviour, string ns, GuardMode expected)
    {
        var globalOnly = ns.Length == 0;
        var forwards = new DecisionSettings { NamespaceModes = globalOnly ? [] : Requests.Modes(ModeEntries) };
        var backwards = new DecisionSettings { NamespaceModes = globalOnly ? [] : Requests.Modes([.. ModeEntries.Reverse()]) };

        Assert.True(forwards.ModeFor(ns) == expected, $"{behaviour}: {forwards.ModeFor(ns)}");
        Assert.Equal(expected, backwards.ModeFor(ns));
    }

    public static TheoryData<string, string, bool> Governed => new()
    {
        { "default settings govern an ordinary namespace", "shop", true },
        { "default settings exclude kube-system", "kube-system", false },
        { "a namespace that only starts like an excluded one is governed", "kube-system-extra", true },
    };

    [Theory]
    [MemberData(nameof(Governed))]
    public void Default_settings_govern_every_namespace_but_kube_system(string behaviour, string ns, bool governed)
    {
        Assert.True(new DecisionSettings().IsGoverned(ns) == governed, behaviour);
    }

    [Theory]
    [InlineData("team-a", true)]
    [InlineData("team-infra", false)]
    [InlineData("shop", false)]
    [InlineData("kube-system", false)]
    public void Exclusions_apply_on_top_of_governed_patterns(string ns, bool governed)
    {
        var settings = new DecisionSettings
        {
            GovernedNamespaces = [new("team-*"), new("kube-system")],
            ExcludedNamespaces = [new("kube-*"), new("team-infra")],
        };

        Assert.Equal(governed, settings.IsGoverned(ns));
    }
}
