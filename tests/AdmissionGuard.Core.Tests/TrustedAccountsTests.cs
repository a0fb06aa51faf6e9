using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Core.Tests;

/// <summary>Who counts as the GitOps flow (rule 2 of README.md's "How it decides"), and who are Kubernetes' own deleters.</summary>
public class TrustedAccountsTests
{
    private static readonly TrustedAccounts Trusted = new(
        ["system:serviceaccount:argocd:argocd-application-controller", "system:serviceaccount:flux-system:*"],
        ["gitops:deployers"],
        TrustedAccounts.DefaultSystemDeleters);

    public static TheoryData<string, string, string[], bool> Users => new()
    {
        { "exact user", "system:serviceaccount:argocd:argocd-application-controller", [], true },
        { "exact entry is not a prefix", "system:serviceaccount:argocd:argocd-application-controller-2", [], false },
        { "exact entry is case-sensitive", "System:ServiceAccount:argocd:argocd-application-controller", [], false },
        { "prefix entry matches a tenant's service account", "system:serviceaccount:flux-system:kustomize-controller", [], true },
        { "prefix entry needs the whole prefix", "system:serviceaccount:flux-systemx:kustomize-controller", [], false },
        { "trusted group", "ci-bot", ["system:authenticated", "gitops:deployers"], true },
        { "group names are exact", "ci-bot", ["gitops:deployers:extra"], false },
        { "a user named like a trusted group is not trusted", "gitops:deployers", [], false },
        { "cluster admins are not trusted by default", "admin", ["system:masters"], false },
        { "system deleters are not trusted for every operation", "system:kube-controller-manager", [], false },
    };

    [Theory]
    [MemberData(nameof(Users))]
    public void Trust_is_by_exact_name_prefix_entry_or_group(string behaviour, string username, string[] groups, bool trusted)
    {
        Assert.True(Trusted.IsTrusted(new UserInfo(username, [.. groups])) == trusted, behaviour);
    }

    [Theory]
    [InlineData("system:serviceaccount:kube-system:namespace-controller", true)]
    [InlineData("system:serviceaccount:kube-system:generic-garbage-collector", true)]
    [InlineData("system:kube-controller-manager", true)]
    [InlineData("system:serviceaccount:kube-system:replicaset-controller", false)]
    [InlineData("admin", false)]
    public void Default_system_deleters_are_the_namespace_controller_garbage_collector_and_controller_manager(string username, bool deleter)
    {
        Assert.Equal(deleter, Trusted.IsSystemDeleter(new UserInfo(username, [])));
    }
}
