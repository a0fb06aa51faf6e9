using System.Collections.Immutable;

namespace AdmissionGuard.Core.Decisions;

/// <summary>
/// The settings the decision rules read, already validated and compiled. Defaults are the ones README.md's settings table gives.
/// </summary>
public sealed record DecisionSettings
{
    public GuardMode Mode { get; init; } = GuardMode.Enforce;

    public ImmutableArray<(NamespacePattern Pattern, GuardMode Mode)> NamespaceModes { get; init; } = [];

    public TrustedAccounts Trusted { get; init; } = new([], [], TrustedAccounts.DefaultSystemDeleters);

    public BreakGlassSettings BreakGlass { get; init; } = new();

    public ImmutableArray<NamespacePattern> GovernedNamespaces { get; init; } = [new("*")];

    public ImmutableArray<NamespacePattern> ExcludedNamespaces { get; init; } = [new("kube-system")];

    public Fallback UnmanagedObjects { get; init; } = Fallback.Deny;

    public Fallback WhenBaselineUnavailable { get; init; } = Fallback.Deny;

    /// <summary>Null when only spec is governed; otherwise the labels and annotations that are not.</summary>
    public MetadataFilter? CompareMetadata { get; init; }

    public static ImmutableArray<string> DefaultIgnoredMetadataKeys { get; } =
    [
        "kubectl.kubernetes.io/last-applied-configuration",
        "app.kubernetes.io/instance",
        "argocd.argoproj.io/",
        "kustomize.toolkit.fluxcd.io/",
        "meta.helm.sh/",
        "admissionguard.io/",
    ];

    /// <summary>
    /// Whether a decision can depend on this annotation: the break-glass pair, and the compared ones when
    /// metadata is compared. The others (kubectl's last-applied-configuration, tool bookkeeping) are not
    /// read from admission requests.
    /// </summary>
    public bool AnnotationMatters(ReadOnlySpan<char> key) =>
        key.SequenceEqual(BreakGlass.Annotation) || key.SequenceEqual(BreakGlass.ExpiresAnnotation) || (CompareMetadata is { } compared && !compared.IsIgnored(key));

    /// <summary>Whether a decision can depend on labels: only when metadata is compared. Otherwise they are checked, not kept.</summary>
    public bool LabelsMatter => CompareMetadata is not null;

    public bool IsGoverned(string ns) => !AnyMatches(ExcludedNamespaces, ns) && AnyMatches(GovernedNamespaces, ns);

    private static bool AnyMatches(ImmutableArray<NamespacePattern> patterns, string ns)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.Matches(ns))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An exact namespace beats a pattern; among patterns the one with the most literal characters wins.</summary>
    public GuardMode ModeFor(string ns)
    {
        (NamespacePattern Pattern, GuardMode Mode)? best = null;
        foreach (var entry in NamespaceModes)
        {
            if (entry.Pattern.Matches(ns) && (best is null || MoreSpecific(entry.Pattern, best.Value.Pattern)))
            {
                best = entry;
            }
        }

        return best?.Mode ?? Mode;

        static bool MoreSpecific(NamespacePattern candidate, NamespacePattern current) =>
            candidate.IsExact != current.IsExact ? candidate.IsExact : candidate.LiteralCharacters > current.LiteralCharacters;
    }
}

/// <summary>GitOps accounts (an entry ending in '*' is a prefix) and groups, and Kubernetes' own deleters.</summary>
public sealed record TrustedAccounts(ImmutableArray<string> Users, ImmutableArray<string> Groups, ImmutableArray<string> SystemDeleters)
{
    public static ImmutableArray<string> DefaultSystemDeleters { get; } =
    [
        "system:serviceaccount:kube-system:namespace-controller",
        "system:serviceaccount:kube-system:generic-garbage-collector",
        "system:kube-controller-manager",
    ];

    public bool IsTrusted(UserInfo user)
    {
        foreach (var entry in Users)
        {
            if (entry.EndsWith('*')
                ? user.Username.StartsWith(entry.AsSpan(0, entry.Length - 1), StringComparison.Ordinal)
                : user.Username == entry)
            {
                return true;
            }
        }

        if (!Groups.IsEmpty)
        {
            foreach (var group in user.Groups)
            {
                if (Groups.Contains(group, StringComparer.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public bool IsSystemDeleter(UserInfo user) => SystemDeleters.Contains(user.Username, StringComparer.Ordinal);
}

public sealed record BreakGlassSettings
{
    public string Annotation { get; init; } = "admissionguard.io/break-glass";

    public string ExpiresAnnotation { get; init; } = "admissionguard.io/break-glass-expires";

    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(4);

    public ImmutableArray<string> AllowedGroups { get; init; } = ["system:masters"];
}
