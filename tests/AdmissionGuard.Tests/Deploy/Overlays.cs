namespace AdmissionGuard.Tests.Deploy;

/// <summary>What each kustomization under deploy/ must render: the table the deploy tests run over.</summary>
public sealed record Overlay(string Path, string Mode, string FailurePolicy, bool MatchConditions, bool CertManager)
{
    public static IReadOnlyList<Overlay> All { get; } =
    [
        new("base", Mode: "Warn", FailurePolicy: "Ignore", MatchConditions: false, CertManager: false),
        new("overlays/warn", Mode: "Warn", FailurePolicy: "Ignore", MatchConditions: false, CertManager: false),
        new("overlays/enforce", Mode: "Enforce", FailurePolicy: "Fail", MatchConditions: true, CertManager: false),
        new("overlays/cert-manager", Mode: "Warn", FailurePolicy: "Ignore", MatchConditions: false, CertManager: true),
        new("overlays/cert-manager-enforce", Mode: "Enforce", FailurePolicy: "Fail", MatchConditions: true, CertManager: true),
    ];

    public static Overlay Named(string path) => All.Single(o => o.Path == path);

    public static TheoryData<string> Paths => Data(All);

    public static TheoryData<string> Enforcing => Data(All.Where(o => o.MatchConditions));

    public static TheoryData<string> WithCertManager => Data(All.Where(o => o.CertManager));

    public Rendered Render() => Kustomize.Render(Path);

    private static TheoryData<string> Data(IEnumerable<Overlay> overlays)
    {
        var data = new TheoryData<string>();
        foreach (var overlay in overlays)
        {
            data.Add(overlay.Path);
        }

        return data;
    }
}
