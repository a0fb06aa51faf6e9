using AdmissionGuard.Core.Decisions;
using static AdmissionGuard.Core.Tests.Requests;

namespace AdmissionGuard.Core.Tests;

/// <summary>One row per decision rule, numbered as README.md's "How it decides" numbers them (1-9).</summary>
public class DecideTests
{
    public sealed record Row(string Behaviour, AdmissionInput Input, bool Allowed, DecisionReason Reason)
    {
        public Baseline? Baseline { get; init; } = Git;

        public DecisionSettings Settings { get; init; } = Requests.Settings;

        public bool Warned { get; init; }

        public bool Stale { get; init; }

        public GuardMode Mode { get; init; } = GuardMode.Enforce;

        /// <summary>Fragments the message must contain.</summary>
        public string[] Says { get; init; } = [];

        /// <summary>Fragments the message must not contain.</summary>
        public string[] DoesNotSay { get; init; } = [];

        public override string ToString() => Behaviour;
    }

    private static readonly MetadataFilter CompiledFilter = new(
        [.. DecisionSettings.DefaultIgnoredMetadataKeys, "admissionguard.io/break-glass", "admissionguard.io/break-glass-expires"]);

    public static TheoryData<Row> Rules => new()
    {
        // Rule 1.
        new("1: excluded namespace is allowed whatever the change", Create(Other(Opened)).In("kube-system"), true, DecisionReason.NamespaceNotGoverned),
        new("1: namespace outside GovernedNamespaces is allowed", Create(Other(Opened)).In("sandbox"), true, DecisionReason.NamespaceNotGoverned)
        {
            Settings = Requests.Settings with { GovernedNamespaces = [new("team-*")] },
        },
        new("1: excluded beats governed", Create(Other(Opened)).In("team-infra"), true, DecisionReason.NamespaceNotGoverned)
        {
            Settings = Requests.Settings with { GovernedNamespaces = [new("team-*")], ExcludedNamespaces = [new("team-infra")] },
        },
        new("1: governed namespace pattern is judged", Create(Other(Opened)).In("team-a"), false, DecisionReason.UnmanagedDenied)
        {
            Settings = Requests.Settings with { GovernedNamespaces = [new("team-*")] },
        },

        // Rule 2.
        new("2: trusted user by exact name may write what Git does not say", Create(Web(Opened), Argo), true, DecisionReason.TrustedUser) { Stale = true },
        new("2: trusted write equal to the baseline does not mark it stale", Create(Web(DeclaredAsServed), Argo), true, DecisionReason.TrustedUser),
        new("2: trusted prefix entry trusts a per-tenant service account", Update(Web(Declared), Web(Widened), Flux), true, DecisionReason.TrustedUser) { Stale = true },
        new("2: trusted prefix entry does not trust a look-alike namespace", Update(Web(Declared), Web(Widened), FluxLookalike), false, DecisionReason.DiffersFromGit),
        new("2: trusted group", Create(Other(Opened), Deployer), true, DecisionReason.TrustedUser) { Stale = true },
        new("2: trusted DELETE of a declared policy marks the baseline stale", Delete(Web(Declared), Argo), true, DecisionReason.TrustedUser) { Stale = true },
        new("2: trusted DELETE of an undeclared policy agrees with the baseline", Delete(Other(Opened), Argo), true, DecisionReason.TrustedUser),
        new("2: trusted user is allowed before any baseline loaded", Create(Web(Opened), Argo), true, DecisionReason.TrustedUser) { Baseline = null },
        new("2: namespace controller may delete a declared policy", Delete(Web(Declared), NamespaceController), true, DecisionReason.SystemDeleter),
        new("2: garbage collector may delete a declared policy", Delete(Web(Declared), GarbageCollector), true, DecisionReason.SystemDeleter),
        new("2: system deleter UPDATE is judged like anyone's", Update(Web(Declared), Web(Widened), NamespaceController), false, DecisionReason.DiffersFromGit),
        new("2: system deleter CREATE is judged like anyone's", Create(Other(Opened), GarbageCollector), false, DecisionReason.UnmanagedDenied),

        new("CONNECT is not a NetworkPolicy write and is allowed", new AdmissionInput(Operation.Connect, "shop", "web", null, null, Alice, false), true, DecisionReason.NotAWrite),

        // Rule 3.
        new("3: CREATE equal to Git is allowed", Create(Web(Declared)), true, DecisionReason.MatchesGit),
        new("3: CREATE as the API server defaulted it is still equal to Git", Create(Web(DeclaredAsServed)), true, DecisionReason.MatchesGit),
        new("3: CREATE that differs from Git is denied", Create(Web(Opened)), false, DecisionReason.DiffersFromGit)
        {
            Says = ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", $"{SourcePath}@0123456"],
        },
        new("3/6: CREATE that Git does not declare is denied by default", Create(Other(Declared)), false, DecisionReason.UnmanagedDenied)
        {
            Says = ["shop/undeclared", "not declared in Git"],
        },
        new("3/6: CREATE that Git does not declare is allowed with UnmanagedObjects=Allow", Create(Other(Declared)), true, DecisionReason.UnmanagedAllowed)
        {
            Settings = Requests.Settings with { UnmanagedObjects = Fallback.Allow },
        },

        // Rule 4.
        new("4: UPDATE to what Git declares is allowed, even from drift", Update(Web(Opened), Web(DeclaredAsServed)), true, DecisionReason.MatchesGit),
        new("4: metadata-only UPDATE of a drifted object is allowed", Update(Web(Opened), Web(Opened, """{"labels":{"touched":"yes"}}""")), true, DecisionReason.GovernedStateUnchanged),
        new("4: UPDATE that changes the spec away from Git is denied", Update(Web(Declared), Web(Widened)), false, DecisionReason.DiffersFromGit)
        {
            Says = ["spec.ingress: rule from podSelector app=frontend: port TCP/9090 added", $"{SourcePath}@0123456"],
            DoesNotSay = ["already differs"],
        },
        new("4: changing UPDATE of a drifted object says the live object already differs", Update(Web(Opened), Web(Widened)), false, DecisionReason.DiffersFromGit)
        {
            Says = ["live object already differs from Git"],
        },
        new("4/6: governed-state-changing UPDATE of an unmanaged policy is denied by default", Update(Other(Declared), Other(Widened)), false, DecisionReason.UnmanagedDenied),
        new("4/6: governed-state-changing UPDATE of an unmanaged policy follows UnmanagedObjects=Allow", Update(Other(Declared), Other(Widened)), true, DecisionReason.UnmanagedAllowed)
        {
            Settings = Requests.Settings with { UnmanagedObjects = Fallback.Allow },
        },
        new("4/6: metadata-only UPDATE of an unmanaged policy is allowed", Update(Other(Widened), Other(Widened, """{"annotations":{"note":"x"}}""")), true, DecisionReason.GovernedStateUnchanged),

        // Rule 5.
        new("5: DELETE of a declared policy is denied", Delete(Web(Declared)), false, DecisionReason.DeleteDeclaredInGit)
        {
            Says = ["shop/web", $"{SourcePath}@0123456"],
        },
        new("5/6: DELETE of an undeclared policy is allowed", Delete(Other(Opened)), true, DecisionReason.UnmanagedAllowed),

        // Rule 8.
        new("8: Warn mode allows a would-be deny, with a warning", Create(Web(Opened)), true, DecisionReason.DiffersFromGit)
        {
            Settings = Requests.Settings with { Mode = GuardMode.Warn },
            Mode = GuardMode.Warn,
            Warned = true,
            Says = ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432"],
        },
        new("8: Warn mode does not warn about an allowed change", Create(Web(Declared)), true, DecisionReason.MatchesGit)
        {
            Settings = Requests.Settings with { Mode = GuardMode.Warn },
            Mode = GuardMode.Warn,
        },
        new("8: NamespaceModes puts one namespace in Warn mode", Delete(Web(Declared)), true, DecisionReason.DeleteDeclaredInGit)
        {
            Settings = Requests.Settings with { NamespaceModes = Modes(("shop", GuardMode.Warn)) },
            Mode = GuardMode.Warn,
            Warned = true,
        },
        new("8: NamespaceModes exact name beats a pattern", Delete(Web(Declared)), false, DecisionReason.DeleteDeclaredInGit)
        {
            Settings = Requests.Settings with { Mode = GuardMode.Warn, NamespaceModes = Modes(("sh*", GuardMode.Warn), ("shop", GuardMode.Enforce)) },
        },
        new("8: NamespaceModes pattern with more literal characters wins", Delete(Web(Declared)), true, DecisionReason.DeleteDeclaredInGit)
        {
            Settings = Requests.Settings with { NamespaceModes = Modes(("sho?", GuardMode.Warn), ("s*", GuardMode.Enforce)) },
            Mode = GuardMode.Warn,
            Warned = true,
        },

        // Rule 9.
        new("9: no baseline denies untrusted changes by default", Create(Web(Declared)), false, DecisionReason.BaselineUnavailableDenied)
        {
            Baseline = null,
            Says = ["not loaded its Git baseline"],
        },
        new("9: no baseline allows untrusted changes with WhenBaselineUnavailable=Allow", Create(Web(Opened)), true, DecisionReason.BaselineUnavailableAllowed)
        {
            Baseline = null,
            Settings = Requests.Settings with { WhenBaselineUnavailable = Fallback.Allow },
            Says = ["not loaded its Git baseline"],
        },
        new("9: no baseline still lets the namespace controller delete", Delete(Web(Declared), NamespaceController), true, DecisionReason.SystemDeleter) { Baseline = null },
        new("9: no baseline in Warn mode warns instead of denying", Delete(Web(Declared)), true, DecisionReason.BaselineUnavailableDenied)
        {
            Baseline = null,
            Settings = Requests.Settings with { Mode = GuardMode.Warn },
            Mode = GuardMode.Warn,
            Warned = true,
        },

        // Rule 7.
        new("7: valid break-glass lets a change through", Create(Web(Opened, BreakGlassAnnotations()), Admin), true, DecisionReason.BreakGlass)
        {
            Says = ["admin", "INC-42 database failover", "2026-11-27T14:00:00Z", "spec.ingress: rule added"],
        },
        new("7: valid break-glass on oldObject lets a DELETE through", Delete(Web(Declared, BreakGlassAnnotations()), Admin), true, DecisionReason.BreakGlass),
        new("7: DELETE without break-glass on oldObject is denied even for system:masters", Delete(Web(Declared), Admin), false, DecisionReason.DeleteDeclaredInGit),
        new("7: break-glass is honoured before any baseline loaded", Create(Web(Opened, BreakGlassAnnotations()), Admin), true, DecisionReason.BreakGlass) { Baseline = null },
        new("7: break-glass is honoured in Warn mode, as a break-glass use", Create(Web(Opened, BreakGlassAnnotations()), Admin), true, DecisionReason.BreakGlass)
        {
            Settings = Requests.Settings with { Mode = GuardMode.Warn },
            Mode = GuardMode.Warn,
        },
        new("7: break-glass on a change that is allowed anyway is not a break-glass use", Create(Web(Declared, BreakGlassAnnotations()), Admin), true, DecisionReason.MatchesGit),
        new("7: expired break-glass is refused and the deny says why", Update(Web(Declared), Web(Widened, BreakGlassAnnotations(expires: TimeSpan.FromMinutes(-1))), Admin), false, DecisionReason.DiffersFromGit)
        {
            Says = ["Break-glass not honoured", "expired at 2026-11-27T11:59:00Z"],
        },
        new("7: break-glass beyond MaxDuration is refused", Update(Web(Declared), Web(Widened, BreakGlassAnnotations(expires: TimeSpan.FromHours(5))), Admin), false, DecisionReason.DiffersFromGit)
        {
            Says = ["Break-glass not honoured", "more than 4h from now"],
        },
        new("7: break-glass without a reason is refused", Update(Web(Declared), Web(Widened, BreakGlassAnnotations(reason: " ")), Admin), false, DecisionReason.DiffersFromGit)
        {
            Says = ["Break-glass not honoured", "must state a reason"],
        },
        new("7: break-glass without an expiry is refused", Update(Web(Declared), Web(Widened, BreakGlassAnnotations(withExpiry: false)), Admin), false, DecisionReason.DiffersFromGit)
        {
            Says = ["Break-glass not honoured", "admissionguard.io/break-glass-expires is missing"],
        },
        new("7: break-glass by a user outside AllowedGroups is refused", Update(Web(Declared), Web(Widened, BreakGlassAnnotations())), false, DecisionReason.DiffersFromGit)
        {
            Says = ["Break-glass not honoured", "alice is not in a group allowed to break glass (system:masters)"],
        },
        new("7: refused break-glass on DELETE is read from oldObject", Delete(Web(Declared, BreakGlassAnnotations(expires: TimeSpan.FromHours(-1))), Admin), false, DecisionReason.DeleteDeclaredInGit)
        {
            Says = ["Break-glass not honoured", "expired"],
        },
        new("7: a stale break-glass annotation does not block a harmless edit", Update(Web(Opened, BreakGlassAnnotations(expires: TimeSpan.FromHours(-3))), Web(Opened, BreakGlassAnnotations(expires: TimeSpan.FromHours(-3)).Replace("INC-42", "INC-43"))), true, DecisionReason.GovernedStateUnchanged),

        // CompareMetadata.
        new("metadata: label change is judged when metadata is compared", Update(Web(Declared), Web(Declared, """{"labels":{"team":"b"}}""")), false, DecisionReason.DiffersFromGit)
        {
            Settings = Requests.Settings with { CompareMetadata = CompiledFilter },
            Says = ["metadata.labels: team added"],
        },
        new("metadata: label change is ignored when metadata is not compared", Create(Web(Declared, """{"labels":{"team":"b"}}""")), true, DecisionReason.MatchesGit),
        new("metadata: ignored exact key does not count", Create(Web(Declared, """{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}}""")), true, DecisionReason.MatchesGit)
        {
            Settings = Requests.Settings with { CompareMetadata = CompiledFilter },
        },
        new("metadata: ignored prefix does not count", Create(Web(Declared, """{"labels":{"kustomize.toolkit.fluxcd.io/name":"apps"}}""")), true, DecisionReason.MatchesGit)
        {
            Settings = Requests.Settings with { CompareMetadata = CompiledFilter },
        },
        new("metadata: break-glass annotations on an object equal to Git are not a change", Create(Web(Declared, BreakGlassAnnotations()), Admin), true, DecisionReason.MatchesGit)
        {
            Settings = Requests.Settings with { CompareMetadata = CompiledFilter },
        },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Decision_follows_the_rules(Row row)
    {
        var decision = Decide.Admission(row.Input, row.Baseline, row.Settings, Now);

        Assert.True(row.Allowed == decision.Allowed, $"{row.Behaviour}: allowed={decision.Allowed}, {decision.Reason}: {decision.Message}");
        Assert.Equal(row.Reason, decision.Reason);
        Assert.Equal(row.Warned, decision.Warned);
        Assert.Equal(row.Stale, decision.BaselineLooksStale);
        Assert.Equal(row.Mode, decision.Mode);
        Assert.Equal(row.Reason == DecisionReason.BreakGlass, decision.BreakGlassUsed);
        foreach (var fragment in row.Says)
        {
            Assert.Contains(fragment, decision.Message);
        }

        foreach (var fragment in row.DoesNotSay)
        {
            Assert.DoesNotContain(fragment, decision.Message);
        }

        if (decision.Warned || decision.BreakGlassUsed)
        {
            Assert.NotEmpty(decision.Warnings);
            Assert.Equal(WarningLines.From(decision.Message).ToArray(), decision.Warnings.ToArray());
        }

        if (!decision.Allowed)
        {
            Assert.NotEmpty(decision.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Dry_run_gets_exactly_the_same_answer(Row row)
    {
        var wet = Decide.Admission(row.Input with { DryRun = false }, row.Baseline, row.Settings, Now);
        var dry = Decide.Admission(row.Input with { DryRun = true }, row.Baseline, row.Settings, Now);

        Assert.Equal(wet.Allowed, dry.Allowed);
        Assert.Equal(wet.Reason, dry.Reason);
        Assert.Equal(wet.Mode, dry.Mode);
        Assert.Equal(wet.Message, dry.Message);
        Assert.Equal(wet.Warnings.ToArray(), dry.Warnings.ToArray());
        Assert.Equal(wet.Warned, dry.Warned);
        Assert.Equal(wet.BaselineLooksStale, dry.BaselineLooksStale);
    }

    [Fact]
    public void Break_glass_warning_names_the_user_the_reason_and_the_expiry()
    {
        var decision = Decide.Admission(Create(Web(Opened, BreakGlassAnnotations()), Admin), Git, Requests.Settings, Now);

        var first = decision.Warnings[0];
        Assert.Contains("admin", first);
        Assert.Contains("INC-42 database failover", first);
        Assert.Contains("2026-11-27T14:00:00Z", first);
        Assert.Equal("break-glass", decision.Result);
    }

    [Fact]
    public void Warn_mode_result_is_warned_and_carries_the_deny_as_warnings()
    {
        var settings = Requests.Settings with { Mode = GuardMode.Warn };

        var decision = Decide.Admission(Create(Web(Opened)), Git, settings, Now);

        Assert.Equal("warned", decision.Result);
        Assert.Contains(decision.Warnings, w => w.Contains("spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", StringComparison.Ordinal));
        Assert.Contains(decision.Warnings, w => w.Contains($"{SourcePath}@0123456", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("admissionguard.io/break-glass", false, true)]
    [InlineData("admissionguard.io/break-glass-expires", false, true)]
    [InlineData("kubectl.kubernetes.io/last-applied-configuration", false, false)]
    [InlineData("owner", false, false)]
    [InlineData("owner", true, true)]
    [InlineData("kubectl.kubernetes.io/last-applied-configuration", true, false)]
    [InlineData("argocd.argoproj.io/tracking-id", true, false)]
    [InlineData("admissionguard.io/break-glass", true, true)]
    public void Only_break_glass_and_compared_annotations_matter_to_a_decision(string key, bool compareMetadata, bool matters)
    {
        var settings = new DecisionSettings
        {
            CompareMetadata = compareMetadata ? new MetadataFilter([.. DecisionSettings.DefaultIgnoredMetadataKeys, "admissionguard.io/break-glass", "admissionguard.io/break-glass-expires"]) : null,
        };

        Assert.Equal(matters, settings.AnnotationMatters(key));
    }
}
