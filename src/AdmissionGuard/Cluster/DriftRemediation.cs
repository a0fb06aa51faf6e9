using System.Text.Json.Nodes;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Observability;
using k8s;
using k8s.Models;

namespace AdmissionGuard.Cluster;

/// <summary>
/// Remediation in <c>serve</c>, by the reporting replica: a modified or missing policy that has stayed drifted for
/// <c>Drift:RemediateAfter</c> is restored (<see cref="RemediationMode.Apply"/>, as <c>drift --fix --yes</c>) or its
/// GitOps tool is asked to reconcile (<see cref="RemediationMode.RequestSync"/>). Never while a break-glass holds, never a
/// delete, at most once per <c>RemediateAfter</c> per policy; every attempt is logged and counted.
/// </summary>
/// <param name="git">Where the cached clone is, from which Git's spec of a policy to restore is read again.</param>
internal sealed class DriftRemediation(DriftOptions options, Git.GitSettings git, DecisionSettings settings, GuardMetrics metrics, TimeProvider clock, ILogger logger)
{
    private readonly Dictionary<(PolicyKey, DriftType), DateTimeOffset> _since = [];
    private readonly Dictionary<PolicyKey, DateTimeOffset> _attempted = [];

    /// <summary>Called with every report the scanner publishes, and between reports as time passes.</summary>
    /// <param name="events">Records a <c>Remediated</c> Event on the policy for each remediation that worked.</param>
    public async Task ConsiderAsync(
        DriftReport report, Baseline baseline, IReadOnlyDictionary<PolicyKey, CanonicalPolicy> live, IKubernetes client, EventRecorder events, CancellationToken cancel)
    {
        if (options.Remediate == RemediationMode.None)
        {
            return;
        }

        // The files read again for one pass are kept for that pass only: between passes they would only hold memory.
        var gitSpecs = new Git.GitServedSpecs(git);
        var now = clock.GetUtcNow();
        var drifted = report.Items.Select(i => (i.Id, i.Type)).ToHashSet();
        foreach (var gone in _since.Keys.Where(k => !drifted.Contains(k)).ToList())
        {
            _since.Remove(gone);
            _attempted.Remove(gone.Item1);
        }

        foreach (var step in RepairPlan.For(report, prune: false).Where(s => s.Action != RepairAction.Keep))
        {
            var id = step.Item.Id;
            var since = _since.TryGetValue((id, step.Item.Type), out var first) ? first : _since[(id, step.Item.Type)] = now;
            if (now - since < options.RemediateAfter || (_attempted.TryGetValue(id, out var last) && now - last < options.RemediateAfter))
            {
                continue;
            }

            _attempted[id] = now;
            var action = options.Remediate == RemediationMode.RequestSync ? "sync" : step.Action == RepairAction.Create ? "create" : "update";
            RepairOutcome outcome;
            try
            {
                outcome = options.Remediate == RemediationMode.Apply
                    ? await new PolicyRepair(client, baseline, gitSpecs, settings, serverDryRun: false).ApplyAsync(step, cancel).ConfigureAwait(false)
                    : await RequestSyncAsync(step, live, client, cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A remediation that goes wrong must not stop the scanner that reports drift.
                outcome = new RepairOutcome(step, false, Excerpt.Of(e.Message, 300));
            }

            metrics.Remediated(action, outcome.Succeeded ? "success" : "failure");
            if (outcome.Succeeded)
            {
                var uid = live.TryGetValue(id, out var policy) ? policy.Uid : null;
                await events.RemediatedAsync(id, uid, options.Remediate.ToString(), $"{step.Why}: {outcome.Message} ({baseline.Ref}@{baseline.ShortCommit})", cancel).ConfigureAwait(false);
                logger.LogWarning("Remediated {Namespace}/{Name}, drifted ({DriftType}) since {Since}: {Action}: {Outcome}", id.Namespace, id.Name, step.Item.Type, since, action, outcome.Message);
            }
            else
            {
                logger.LogError("Remediation of {Namespace}/{Name} failed: {Action}: {Outcome}; next attempt in {RemediateAfter}", id.Namespace, id.Name, action, outcome.Message, options.RemediateAfter);
            }
        }
    }

    /// <summary>Flux: the <c>reconcile.fluxcd.io/requestedAt</c> annotation, as <c>flux reconcile</c> sets it. Argo CD: a sync <c>operation</c>, as <c>argocd app sync</c> sets it.</summary>
    private async Task<RepairOutcome> RequestSyncAsync(RepairStep step, IReadOnlyDictionary<PolicyKey, CanonicalPolicy> live, IKubernetes client, CancellationToken cancel)
    {
        if (!live.TryGetValue(step.Item.Id, out var policy) || GitOpsOwner.Of(policy) is not { } owner)
        {
            return new RepairOutcome(step, false, "no GitOps tool is known to own it (no Flux labels, no Argo CD tracking annotation or instance label); Drift:Remediate=Apply restores it");
        }

        var patch = owner.IsFlux
            ? new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["reconcile.fluxcd.io/requestedAt"] = clock.GetUtcNow().ToString("O") } } }
            : new JsonObject
            {
                ["operation"] = new JsonObject
                {
                    ["initiatedBy"] = new JsonObject { ["username"] = "admissionguard" },
                    ["info"] = new JsonArray(new JsonObject { ["name"] = "Reason", ["value"] = $"drift of NetworkPolicy {step.Item.Id}" }),
                    ["sync"] = new JsonObject { ["syncStrategy"] = new JsonObject { ["hook"] = new JsonObject() } },
                },
            };
        try
        {
            await client.CustomObjects.PatchNamespacedCustomObjectAsync(
                new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), owner.Group, owner.Version, owner.Namespace, owner.Plural, owner.Name,
                fieldManager: PolicyRepair.FieldManager, cancellationToken: cancel).ConfigureAwait(false);
            return new RepairOutcome(step, true, $"asked {owner} to reconcile");
        }
        catch (Exception e) when (KubernetesApi.IsApiError(e))
        {
            return new RepairOutcome(step, false, $"asking {owner} to reconcile: {KubernetesApi.Describe(e, client.BaseUri.ToString())}");
        }
    }
}
