using System.Collections.Immutable;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>A small Git baseline, the people who send requests, and the requests themselves.</summary>
internal static class Requests
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    public const string SourcePath = "policies/shop/web.yaml";
    public const string ArgoCd = "system:serviceaccount:argocd:argocd-application-controller";

    public static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    /// <summary>What Git declares for shop/web.</summary>
    public const string Declared = """
        {"podSelector":{"matchLabels":{"app":"web"}},
         "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080}]}]}
        """;

    /// <summary>The same policy as the API server hands it over: defaulted, reordered.</summary>
    public const string DeclaredAsServed = """
        {"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"],
         "ingress":[{"ports":[{"protocol":"TCP","port":8080}],"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}]}]}
        """;

    /// <summary>The declared policy with the database port opened to the world.</summary>
    public const string Opened = """
        {"podSelector":{"matchLabels":{"app":"web"}},
         "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080}]},
                    {"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}],"ports":[{"port":5432}]}]}
        """;

    /// <summary>Another change: the frontend may also reach port 9090.</summary>
    public const string Widened = """
        {"podSelector":{"matchLabels":{"app":"web"}},
         "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080},{"port":9090}]}]}
        """;

    public static readonly UserInfo Alice = new("alice", ["system:authenticated"]);
    public static readonly UserInfo Admin = new("admin", ["system:masters", "system:authenticated"]);
    public static readonly UserInfo Argo = new(ArgoCd, ["system:serviceaccounts", "system:serviceaccounts:argocd"]);
    public static readonly UserInfo Flux = new("system:serviceaccount:flux-system:kustomize-controller", ["system:serviceaccounts"]);
    public static readonly UserInfo FluxLookalike = new("system:serviceaccount:flux-system-evil:kustomize-controller", ["system:serviceaccounts"]);
    public static readonly UserInfo Deployer = new("ci-bot", ["gitops:deployers"]);
    public static readonly UserInfo NamespaceController = new("system:serviceaccount:kube-system:namespace-controller", ["system:serviceaccounts"]);
    public static readonly UserInfo GarbageCollector = new("system:serviceaccount:kube-system:generic-garbage-collector", ["system:serviceaccounts"]);

    public static readonly DecisionSettings Settings = new()
    {
        Trusted = new TrustedAccounts([ArgoCd, "system:serviceaccount:flux-system:*"], ["gitops:deployers"], TrustedAccounts.DefaultSystemDeleters),
    };

    public static readonly Baseline Git = new(Commit, "main", Now.AddMinutes(-5), [new BaselineEntry(Policies.Spec(Declared), SourcePath, 0)]);

    /// <summary>Break-glass annotations as metadata members; <paramref name="expires"/> relative to <see cref="Now"/>.</summary>
    public static string BreakGlassAnnotations(string reason = "INC-42 database failover", TimeSpan? expires = null, bool withExpiry = true)
    {
        var expiry = withExpiry ? $",\"admissionguard.io/break-glass-expires\":\"{BreakGlass.Format(Now + (expires ?? TimeSpan.FromHours(2)))}\"" : "";
        return $"{{\"annotations\":{{\"admissionguard.io/break-glass\":\"{reason}\"{expiry}}}}}";
    }

    public static CanonicalPolicy Web(string spec, string metadata = "{}") => Policies.Spec(spec, metadata);

    public static CanonicalPolicy Other(string spec, string metadata = "{}") => Policies.Spec(spec, metadata, name: "undeclared");

    public static AdmissionInput Create(CanonicalPolicy policy, UserInfo? user = null) =>
        new(Operation.Create, policy.Namespace, policy.Name, policy, null, user ?? Alice, false);

    public static AdmissionInput Update(CanonicalPolicy old, CanonicalPolicy policy, UserInfo? user = null) =>
        new(Operation.Update, policy.Namespace, policy.Name, policy, old, user ?? Alice, false);

    public static AdmissionInput Delete(CanonicalPolicy old, UserInfo? user = null) =>
        new(Operation.Delete, old.Namespace, old.Name, null, old, user ?? Alice, false);

    public static AdmissionInput In(this AdmissionInput input, string ns) => input with
    {
        Namespace = ns,
        Object = input.Object is { } o ? o with { Namespace = ns } : null,
        OldObject = input.OldObject is { } old ? old with { Namespace = ns } : null,
    };

    public static ImmutableArray<(NamespacePattern, GuardMode)> Modes(params (string Pattern, GuardMode Mode)[] entries) =>
        [.. entries.Select(e => (new NamespacePattern(e.Pattern), e.Mode))];
}
