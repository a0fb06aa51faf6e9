using System.Collections.Immutable;
using System.Text.Json;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>
/// DESIGN.md "When and how": which managedFields entry a drift item names, from one NetworkPolicy's
/// managedFields as a real API server recorded them step by step (Fixtures/managedfields, see its README).
/// </summary>
public class LastChangeTests
{
    public static TheoryData<string, string, string, string> Recorded => new()
    {
        {
            "the only entry owns the differing field",
            "managedfields-01-apply.json", "ingress", "kubectl-client-side-apply (Update) at 2026-12-01T21:48:54Z"
        },
        {
            "a merge patch took the pod selector from the client-side apply",
            "managedfields-02-patch-merge.json", "podSelector", "kubectl-patch (Update) at 2026-12-01T21:48:56Z"
        },
        {
            "the latest owner of the differing field, not the latest entry",
            "managedfields-02-patch-merge.json", "ingress", "kubectl-client-side-apply (Update) at 2026-12-01T21:48:54Z"
        },
        {
            "kubectl edit owns the ingress it changed",
            "managedfields-03-edit.json", "podSelector ingress", "kubectl-edit (Update) at 2026-12-01T21:48:59Z"
        },
        {
            "a later entry owning only a label that does not differ is passed over",
            "managedfields-04-label.json", "podSelector ingress", "kubectl-edit (Update) at 2026-12-01T21:48:59Z"
        },
        {
            "a differing label is owned by the manager of its key",
            "managedfields-04-label.json", "label:admissionguard.io/scan", "kubectl-label (Update) at 2026-12-01T21:49:01Z"
        },
        {
            "kubectl's first server-side apply moved kubectl-edit (owner of last-applied) into argocd-controller: the edit is argocd-controller's now",
            "managedfields-05-ssa-argocd-controller.json", "ingress", "argocd-controller (Apply) at 2026-12-01T21:49:10Z"
        },
        {
            "of two owners the latest by time, though the API server lists it first",
            "managedfields-05-ssa-argocd-controller.json", "policyTypes", "argocd-controller (Apply) at 2026-12-01T21:49:10Z"
        },
        {
            "the empty f:annotations that first server-side apply leaves to kubectl-client-side-apply owns no key: the latest entry",
            "managedfields-05-ssa-argocd-controller.json", "annotation:example.com/owner", "argocd-controller (Apply) at 2026-12-01T21:49:10Z"
        },
        {
            "a second server-side apply of the same spec shares ownership and is the latest owner",
            "managedfields-06-ssa-kustomize-controller.json", "ingress", "kustomize-controller (Apply) at 2026-12-01T21:49:12Z"
        },
        {
            "kubectl annotate is later but owns only its annotation",
            "managedfields-07-annotate.json", "ingress", "kustomize-controller (Apply) at 2026-12-01T21:49:12Z"
        },
        {
            "no entry owns the differing field: the latest entry",
            "managedfields-07-annotate.json", "egress", "kubectl-annotate (Update) at 2026-12-01T21:49:15Z"
        },
        {
            "the API server's own key order reads the same",
            "managedfields-08-final-raw.json", "ingress", "kustomize-controller (Apply) at 2026-12-01T21:49:12Z"
        },
        {
            "a label owned by one server-side apply",
            "managedfields-08-final-raw.json", "label:app.kubernetes.io/instance", "argocd-controller (Apply) at 2026-12-01T21:49:10Z"
        },
    };

    [Theory]
    [MemberData(nameof(Recorded))]
    public void The_entry_named_for_each_recorded_state(string behaviour, string fixture, string differing, string expected)
    {
        var chosen = LastChange.Choose(Entries(fixture), Fields(differing));

        Assert.True(expected == chosen?.ToString(), $"{behaviour}: got {chosen}");
    }

    private static readonly DateTimeOffset Second = new(2026, 12, 1, 21, 49, 10, TimeSpan.Zero);

    public static TheoryData<string, ManagedFieldsEntry[], string?> Ties => new()
    {
        {
            "same second, Update and Apply: Update is taken as before Apply, though the API server lists Apply first",
            [Entry("argocd-controller", ManagedFieldsOperation.Apply, Second), Entry("kubectl-edit", ManagedFieldsOperation.Update, Second)],
            "argocd-controller (Apply) at 2026-12-01T21:49:10Z"
        },
        {
            "same second, Update listed before Apply: still the Apply",
            [Entry("kubectl-edit", ManagedFieldsOperation.Update, Second), Entry("argocd-controller", ManagedFieldsOperation.Apply, Second)],
            "argocd-controller (Apply) at 2026-12-01T21:49:10Z"
        },
        {
            "same second, both Update: the later in the list",
            [Entry("kubectl-edit", ManagedFieldsOperation.Update, Second), Entry("kubectl-patch", ManagedFieldsOperation.Update, Second)],
            "kubectl-patch (Update) at 2026-12-01T21:49:10Z"
        },
        {
            "same second, both Apply: the later in the list",
            [Entry("argocd-controller", ManagedFieldsOperation.Apply, Second), Entry("kustomize-controller", ManagedFieldsOperation.Apply, Second)],
            "kustomize-controller (Apply) at 2026-12-01T21:49:10Z"
        },
        {
            "a second later beats the operation and the list",
            [Entry("kubectl-edit", ManagedFieldsOperation.Update, Second.AddSeconds(1)), Entry("argocd-controller", ManagedFieldsOperation.Apply, Second)],
            "kubectl-edit (Update) at 2026-12-01T21:49:11Z"
        },
        {
            "an entry without a time is the earliest",
            [Entry("kubectl-edit", ManagedFieldsOperation.Update, Second), Entry("unknown", ManagedFieldsOperation.Apply, null)],
            "kubectl-edit (Update) at 2026-12-01T21:49:10Z"
        },
        { "no managedFields: nobody is named", [], null },
    };

    [Theory]
    [MemberData(nameof(Ties))]
    public void Times_are_whole_seconds_so_ties_go_by_operation_then_list_order(string behaviour, ManagedFieldsEntry[] entries, string? expected)
    {
        var chosen = LastChange.Choose([.. entries], Fields("ingress"));

        Assert.True(expected == chosen?.ToString(), $"{behaviour}: got {chosen?.ToString() ?? "null"}");
    }

    [Fact]
    public void The_recorded_managedFields_read_as_the_API_server_listed_them()
    {
        var entries = Entries("managedfields-05-ssa-argocd-controller.json");

        Assert.Equal(
            [
                "argocd-controller (Apply) at 2026-12-01T21:49:10Z owns PodSelector, PolicyTypes, Ingress; labels app.kubernetes.io/instance; annotations -",
                "kubectl-client-side-apply (Update) at 2026-12-01T21:48:54Z owns PolicyTypes; labels -; annotations -",
                "kubectl-patch (Update) at 2026-12-01T21:48:56Z owns PodSelector; labels -; annotations -",
                "kubectl-label (Update) at 2026-12-01T21:49:01Z owns None; labels admissionguard.io/scan; annotations -",
            ],
            entries.Select(Describe));
    }

    [Fact]
    public void Kubectl_output_and_the_API_servers_own_answer_read_the_same()
    {
        Assert.Equal(Entries("managedfields-07-annotate.json").Select(Describe), Entries("managedfields-08-final-raw.json").Select(Describe));
    }

    [Fact]
    public void What_a_manager_owns_in_two_policies_read_apart_is_held_once()
    {
        var (first, second) = (Entries("managedfields-07-annotate.json"), Entries("managedfields-08-final-raw.json"));

        Assert.Equal(first.Length, second.Length);
        for (var i = 0; i < first.Length; i++)
        {
            Assert.Same(first[i].Owned, second[i].Owned);
        }

        Assert.Contains(first, entry => !entry.Owned.IsEmpty);
    }

    [Fact]
    public void Entries_that_cannot_be_read_are_left_out_and_nothing_fails()
    {
        using var document = JsonDocument.Parse("""
            {"metadata":{"managedFields":[
              "not an entry",
              {"operation":"Update","time":"2026-12-01T21:48:54Z"},
              {"manager":"kubectl-edit","operation":"Replace","time":"2026-12-01T21:48:54Z"},
              {"manager":"kubectl-edit","operation":"Update","time":"yesterday","fieldsV1":{"f:spec":"everything"}},
              {"manager":"kubectl-patch","operation":"Update","fieldsV1":{"f:spec":{"f:ingress":{}},"f:metadata":{"f:labels":["x"]}}}
            ]}}
            """);

        var entries = ManagedFields.Read(document.RootElement);

        Assert.Equal(
            ["kubectl-edit (Update) owns None; labels -; annotations -", "kubectl-patch (Update) owns Ingress; labels -; annotations -"],
            entries.Select(Describe));
    }

    [Fact]
    public void Only_live_objects_keep_their_managedFields()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture("managedfields-03-edit.json")));

        Assert.Equal(3, PolicyReader.Read(document.RootElement, live: true).ManagedFields.Length);
        Assert.Empty(PolicyReader.Read(document.RootElement).ManagedFields);
    }

    public static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "managedfields", file);

    /// <summary>The policy of a recorded file as the drift scanner keeps it.</summary>
    public static CanonicalPolicy Live(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture(file)));
        return PolicyReader.Read(document.RootElement, live: true);
    }

    private static ImmutableArray<ManagedFieldsEntry> Entries(string file) => Live(file).ManagedFields;

    /// <summary>"podSelector ingress", "label:KEY", "annotation:KEY", space-separated.</summary>
    private static PolicyFields Fields(string text)
    {
        var (spec, labels, annotations) = (SpecFields.None, new List<string>(), new List<string>());
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("label:", StringComparison.Ordinal))
            {
                labels.Add(part["label:".Length..]);
            }
            else if (part.StartsWith("annotation:", StringComparison.Ordinal))
            {
                annotations.Add(part["annotation:".Length..]);
            }
            else
            {
                spec |= Enum.Parse<SpecFields>(part, ignoreCase: true);
            }
        }

        return new PolicyFields(spec, [.. labels], [.. annotations]);
    }

    private static ManagedFieldsEntry Entry(string manager, ManagedFieldsOperation operation, DateTimeOffset? time) =>
        new(manager, operation, time, new PolicyFields(SpecFields.Ingress, [], []));

    private static string Describe(ManagedFieldsEntry entry) =>
        $"{entry} owns {entry.Owned.Spec}; labels {Keys(entry.Owned.Labels)}; annotations {Keys(entry.Owned.Annotations)}";

    private static string Keys(ImmutableArray<string> keys) => keys.IsEmpty ? "-" : string.Join(", ", keys);
}
