namespace AdmissionGuard.Core.Tests;

/// <summary>The lines a deny message and the drift report use to say what differs from Git.</summary>
public class PolicyDiffTests
{
    private const string Git = """
        {"podSelector":{"matchLabels":{"app":"web"}},
         "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080}]}]}
        """;

    public static TheoryData<string, string, string[]> Changes => new()
    {
        {
            "rule added names its peer and port",
            """
            {"podSelector":{"matchLabels":{"app":"web"}},
             "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080}]},
                        {"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}],"ports":[{"port":5432}]}]}
            """,
            ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432"]
        },
        {
            "rule removed",
            """{"podSelector":{"matchLabels":{"app":"web"}}}""",
            ["spec.ingress: rule removed: from podSelector app=frontend port TCP/8080"]
        },
        {
            "port added to a rule with the same peers",
            """{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080},{"port":9090}]}]}""",
            ["spec.ingress: rule from podSelector app=frontend: port TCP/9090 added"]
        },
        {
            "port replaced in a rule with the same peers",
            """{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":9090,"protocol":"UDP"}]}]}""",
            ["spec.ingress: rule from podSelector app=frontend: port UDP/9090 added, port TCP/8080 removed"]
        },
        {
            "rule opened to all ports",
            """{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}]}]}""",
            ["spec.ingress: rule from podSelector app=frontend: was port TCP/8080, now all ports"]
        },
        {
            "peer added on the same ports",
            """{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}},{"namespaceSelector":{"matchLabels":{"team":"ops"}}}],"ports":[{"port":8080}]}]}""",
            ["spec.ingress: rule on port TCP/8080: peer namespaceSelector team=ops added"]
        },
        {
            "rule opened to anywhere",
            """{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"port":8080}]}]}""",
            ["spec.ingress: rule on port TCP/8080: was peer podSelector app=frontend, now anywhere"]
        },
        {
            "podSelector changed",
            """{"podSelector":{"matchLabels":{"app":"api"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080}]}]}""",
            ["spec.podSelector: changed from app=web to app=api"]
        },
        {
            "policy type added together with its egress rule",
            """
            {"podSelector":{"matchLabels":{"app":"web"}},
             "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080}]}],
             "egress":[{"ports":[{"port":53,"protocol":"UDP"}]}]}
            """,
            ["spec.policyTypes: Egress added", "spec.egress: rule added: to anywhere port UDP/53"]
        },
        {
            "peers with selectors, ranges, named ports and except read as kubectl would show them",
            """
            {"podSelector":{"matchLabels":{"app":"web"}},
             "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080}]},
                        {"from":[{"namespaceSelector":{"matchLabels":{"team":"a"}},"podSelector":{"matchExpressions":[{"key":"tier","operator":"In","values":["db","cache"]}]}},
                                 {"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}],
                         "ports":[{"port":8000,"endPort":9000},{"port":"metrics"},{"protocol":"UDP"}]}]}
            """,
            ["spec.ingress: rule added: from ipBlock 10.0.0.0/8 except 10.1.0.0/16 or namespaceSelector team=a podSelector tier in (cache,db) ports TCP/8000-9000,TCP/metrics,UDP/*"]
        },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Difference_reads_as_short_lines(string behaviour, string actual, string[] expected)
    {
        var lines = PolicyDiff.Between(Policies.Spec(Git), Policies.Spec(actual));

        Assert.True(expected.SequenceEqual(lines), $"{behaviour}:\n  expected {string.Join(" | ", expected)}\n  actual   {string.Join(" | ", lines)}");
    }

    [Fact]
    public void Ports_restricted_from_all_ports_names_the_ports_now_allowed()
    {
        var git = Policies.Spec("""{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}}]}]}""");
        var live = Policies.Spec("""{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}}],"ports":[{"port":443}]}]}""");

        var line = Assert.Single(PolicyDiff.Between(git, live));

        Assert.Equal("spec.ingress: rule from podSelector app=a: was all ports, now port TCP/443", line);
    }

    [Fact]
    public void Peers_restricted_from_anywhere_names_the_peers_now_allowed()
    {
        var git = Policies.Spec("""{"ingress":[{"ports":[{"port":443}]}]}""");
        var live = Policies.Spec("""{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}}],"ports":[{"port":443}]}]}""");

        var line = Assert.Single(PolicyDiff.Between(git, live));

        Assert.Equal("spec.ingress: rule on port TCP/443: was anywhere, now peer podSelector app=a", line);
    }

    [Fact]
    public void Metadata_lines_appear_only_with_a_filter_and_skip_ignored_keys()
    {
        var git = Policies.Spec("{}", """{"labels":{"team":"a","old":"x"},"annotations":{"argocd.argoproj.io/tracking-id":"1"}}""");
        var live = Policies.Spec("{}", """{"labels":{"team":"b","new":"y"},"annotations":{"argocd.argoproj.io/tracking-id":"2"}}""");
        var filter = new MetadataFilter(Decisions.DecisionSettings.DefaultIgnoredMetadataKeys);

        Assert.Empty(PolicyDiff.Between(git, live));
        Assert.Equal(
            ["metadata.labels: new added", "metadata.labels: team changed", "metadata.labels: old removed"],
            PolicyDiff.Between(git, live, filter).ToArray());
    }

    [Fact]
    public void Identical_policies_have_no_difference()
    {
        Assert.Empty(PolicyDiff.Between(Policies.Spec(Git), Policies.Spec(Git)));
    }
}
