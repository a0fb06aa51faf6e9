using System.Net;
using System.Text;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AdmissionGuard.Cluster;

/// <summary>How one repair step went, in words for the people who asked for it.</summary>
public sealed record RepairOutcome(RepairStep Step, bool Succeeded, string Message);

/// <summary>
/// Carries out a <see cref="RepairPlan"/> against the API server, as field manager <c>admissionguard</c>. A modified
/// policy is updated to Git's spec on its current <c>resourceVersion</c> (read again and retried on 409): server-side
/// apply alone cannot take away a rule another manager owns. Every write is read back and compared with Git.
/// </summary>
/// <param name="gitSpecs">Where Git's spec of a policy to restore is read from.</param>
internal sealed class PolicyRepair(IKubernetes client, Baseline baseline, Git.GitServedSpecs gitSpecs, DecisionSettings settings, bool serverDryRun)
{
    public const string FieldManager = "admissionguard";

    /// <summary>Conflicts in a row before giving up: each means someone else wrote the object meanwhile.</summary>
    public const int MaxConflicts = 5;

    private string? DryRun => serverDryRun ? "All" : null;

    public async Task<RepairOutcome> ApplyAsync(RepairStep step, CancellationToken cancel)
    {
        var item = step.Item;
        try
        {
            switch (step.Action)
            {
                case RepairAction.Create:
                    await client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(Declared(item), item.Namespace, DryRun, FieldManager, cancellationToken: cancel).ConfigureAwait(false);
                    return await VerifiedAsync(step, "created", cancel).ConfigureAwait(false);
                case RepairAction.Update:
                    return await UpdateAsync(step, cancel).ConfigureAwait(false);
                case RepairAction.Delete:
                    await client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(item.Name, item.Namespace, dryRun: DryRun, cancellationToken: cancel).ConfigureAwait(false);
                    return await VerifiedAsync(step, "deleted", cancel).ConfigureAwait(false);
                default:
                    return new RepairOutcome(step, true, step.Why);
            }
        }
        catch (Exception e) when (KubernetesApi.IsApiError(e))
        {
            return new RepairOutcome(step, false, KubernetesApi.Describe(e, client.BaseUri.ToString()));
        }
        catch (InvalidOperationException e)
        {
            // Git's spec could not be had: nothing was written.
            return new RepairOutcome(step, false, e.Message);
        }
    }

    private async Task<RepairOutcome> UpdateAsync(RepairStep step, CancellationToken cancel)
    {
        var item = step.Item;
        var declared = Entry(item);
        for (var attempt = 1; ; attempt++)
        {
            var live = await client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(item.Name, item.Namespace, cancellationToken: cancel).ConfigureAwait(false);
            live.Spec = Spec(declared);
            if (settings.CompareMetadata is { } governed)
            {
                live.Metadata.Labels = Governed(live.Metadata.Labels, declared.Policy.Labels, governed);
                live.Metadata.Annotations = Governed(live.Metadata.Annotations, declared.Policy.Annotations, governed);
            }

            try
            {
                await client.NetworkingV1.ReplaceNamespacedNetworkPolicyAsync(live, item.Name, item.Namespace, DryRun, FieldManager, cancellationToken: cancel).ConfigureAwait(false);
                return await VerifiedAsync(step, "updated", cancel).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict && attempt < MaxConflicts)
            {
                // Written by someone else since it was read: read it again and put Git's spec on that.
            }
        }
    }

    /// <summary>Reads the object back: what the API server stored must be Git's (a mutating webhook could have changed it).</summary>
    private async Task<RepairOutcome> VerifiedAsync(RepairStep step, string done, CancellationToken cancel)
    {
        var item = step.Item;
        if (serverDryRun)
        {
            return new RepairOutcome(step, true, $"{done} (dry run: the API server accepted it, nothing changed)");
        }

        V1NetworkPolicy stored;
        try
        {
            stored = await client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(item.Name, item.Namespace, cancellationToken: cancel).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return step.Action == RepairAction.Delete
                ? new RepairOutcome(step, true, $"{done}, and gone when read back")
                : new RepairOutcome(step, false, $"{done}, but not found when read back");
        }

        if (step.Action == RepairAction.Delete)
        {
            return new RepairOutcome(step, false, $"{done}, but still there when read back (a finalizer?)");
        }

        var declared = Entry(item).Policy;
        var canonical = KubernetesApi.Canonical(stored);
        return Decide.Equivalent(canonical, declared, settings)
            ? new RepairOutcome(step, true, $"{done}; read back equal to Git")
            : new RepairOutcome(step, false, $"{done}, but read back different from Git: {string.Join("; ", PolicyDiff.Between(declared, canonical, settings.CompareMetadata))} (a mutating webhook or controller?)");
    }

    private V1NetworkPolicy Declared(DriftItem item)
    {
        var entry = Entry(item);
        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta
            {
                Name = item.Name,
                NamespaceProperty = item.Namespace,
                Labels = entry.Policy.Labels.Count == 0 ? null : entry.Policy.Labels.ToDictionary(),
                Annotations = entry.Policy.Annotations.Count == 0 ? null : entry.Policy.Annotations.ToDictionary(),
            },
            Spec = Spec(entry),
        };
    }

    private BaselineEntry Entry(DriftItem item) =>
        baseline.Find(item.Id) ?? throw new InvalidOperationException($"{item.Id} is not in the baseline the plan was made from");

    /// <summary>Git's spec as the API server would serve it (<see cref="Core.Policy.ServedSpec"/>).</summary>
    private V1NetworkPolicySpec Spec(BaselineEntry entry) =>
        KubernetesJson.Deserialize<V1NetworkPolicySpec>(Encoding.UTF8.GetString(gitSpecs.For(baseline, entry)));

    /// <summary>The live map with its governed keys made Git's: others' keys (ignored ones) are left as they are.</summary>
    private static Dictionary<string, string>? Governed(IDictionary<string, string>? live, IReadOnlyDictionary<string, string> git, MetadataFilter governed)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in live ?? new Dictionary<string, string>())
        {
            if (governed.IsIgnored(key))
            {
                result[key] = value;
            }
        }

        foreach (var (key, value) in git.Where(entry => !governed.IsIgnored(entry.Key)))
        {
            result[key] = value;
        }

        return result.Count == 0 ? null : result;
    }
}
