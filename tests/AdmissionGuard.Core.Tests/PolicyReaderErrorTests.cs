using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>What the API server would reject is an error that names the field, so a bad Git commit is easy to fix.</summary>
public class PolicyReaderErrorTests
{
    public static TheoryData<string, string, string, string> BadSpecs => new()
    {
        { "port 0 is out of range", """{"ingress":[{"ports":[{"port":0}]}]}""", "spec.ingress[0].ports[0].port", "between 1 and 65535, not 0" },
        { "port 70000 is out of range", """{"ingress":[{"ports":[{"port":70000}]}]}""", "spec.ingress[0].ports[0].port", "not 70000" },
        { "port beyond 32 bits is out of range", """{"egress":[{"ports":[{"port":99999999999}]}]}""", "spec.egress[0].ports[0].port", "not 99999999999" },
        { "negative port is out of range", """{"ingress":[{"ports":[{"port":-80}]}]}""", "spec.ingress[0].ports[0].port", "between 1 and 65535" },
        { "fractional port is not a port", """{"ingress":[{"ports":[{"port":80.5}]}]}""", "spec.ingress[0].ports[0].port", "between 1 and 65535" },
        { "boolean port is not a port", """{"ingress":[{"ports":[{"port":true}]}]}""", "spec.ingress[0].ports[0].port", "port number or a port name" },
        { "quoted number is not a port name", """{"ingress":[{"ports":[{"port":"80"}]}]}""", "spec.ingress[0].ports[0].port", "invalid port name \"80\"" },
        { "port name longer than 15 characters", """{"ingress":[{"ports":[{"port":"a-very-long-port-name"}]}]}""", "spec.ingress[0].ports[0].port", "invalid port name" },
        { "upper-case port name", """{"ingress":[{"ports":[{"port":"HTTP"}]}]}""", "spec.ingress[0].ports[0].port", "invalid port name" },
        { "port name with a double hyphen", """{"ingress":[{"ports":[{"port":"my--port"}]}]}""", "spec.ingress[0].ports[0].port", "invalid port name" },
        { "unsupported protocol", """{"ingress":[{"ports":[{"port":80,"protocol":"HTTP"}]}]}""", "spec.ingress[0].ports[0].protocol", "must be TCP, UDP or SCTP" },
        { "lower-case protocol", """{"ingress":[{"ports":[{"port":80,"protocol":"tcp"}]}]}""", "spec.ingress[0].ports[0].protocol", "unsupported value \"tcp\"" },
        { "protocol that is not a string", """{"ingress":[{"ports":[{"port":80,"protocol":6}]}]}""", "spec.ingress[0].ports[0].protocol", "must be a string" },
        { "endPort below port", """{"ingress":[{"ports":[{"port":9000,"endPort":8000}]}]}""", "spec.ingress[0].ports[0].endPort", "not greater than it" },
        { "endPort with a named port", """{"ingress":[{"ports":[{"port":"http","endPort":8080}]}]}""", "spec.ingress[0].ports[0].endPort", "needs a numeric port" },
        { "endPort without port", """{"ingress":[{"ports":[{"endPort":8080}]}]}""", "spec.ingress[0].ports[0].endPort", "needs a numeric port" },
        { "endPort out of range", """{"ingress":[{"ports":[{"port":80,"endPort":65536}]}]}""", "spec.ingress[0].ports[0].endPort", "between 1 and 65535" },
        { "CIDR that is not an address", """{"ingress":[{"from":[{"ipBlock":{"cidr":"A"}}]}]}""", "spec.ingress[0].from[0].ipBlock.cidr", "invalid CIDR \"A\"" },
        { "CIDR without a prefix length", """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.1"}}]}]}""", "spec.ingress[0].from[0].ipBlock.cidr", "invalid CIDR" },
        { "CIDR prefix longer than the address", """{"egress":[{"to":[{"ipBlock":{"cidr":"10.0.0.0/33"}}]}]}""", "spec.egress[0].to[0].ipBlock.cidr", "invalid CIDR" },
        { "bad except entry names its index", """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16","nope"]}}]}]}""", "spec.ingress[0].from[0].ipBlock.except[1]", "invalid CIDR \"nope\"" },
        { "ipBlock without cidr", """{"ingress":[{"from":[{"ipBlock":{"except":["10.1.0.0/16"]}}]}]}""", "spec.ingress[0].from[0].ipBlock.cidr", "required" },
        { "ipBlock combined with podSelector", """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"},"podSelector":{}}]}]}""", "spec.ingress[0].from[0]", "may not be combined" },
        { "ipBlock combined with namespaceSelector", """{"egress":[{"to":[{"namespaceSelector":{},"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}""", "spec.egress[0].to[0]", "may not be combined" },
        { "peer with nothing in it", """{"ingress":[{"from":[{}]}]}""", "spec.ingress[0].from[0]", "must specify a peer" },
        { "peer whose selectors are all null", """{"ingress":[{"from":[{"podSelector":null,"namespaceSelector":null}]}]}""", "spec.ingress[0].from[0]", "must specify a peer" },
        { "unknown spec field", """{"podSelector":{},"ingres":[]}""", "spec.ingres", "unknown field" },
        { "unknown rule field", """{"ingress":[{"to":[{"podSelector":{}}]}]}""", "spec.ingress[0].to", "unknown field" },
        { "unknown peer field", """{"ingress":[{},{"from":[{"podSelectr":{}}]}]}""", "spec.ingress[1].from[0].podSelectr", "unknown field" },
        { "unknown port field", """{"ingress":[{"ports":[{"port":80,"name":"web"}]}]}""", "spec.ingress[0].ports[0].name", "unknown field" },
        { "unknown selector field", """{"podSelector":{"matchLabel":{"app":"web"}}}""", "spec.podSelector.matchLabel", "unknown field" },
        { "unknown ipBlock field", """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","exclude":[]}}]}]}""", "spec.ingress[0].from[0].ipBlock.exclude", "unknown field" },
        { "In without values", """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"In"}]}}""", "spec.podSelector.matchExpressions[0].values", "non-empty for operator In" },
        { "NotIn with empty values", """{"ingress":[{"from":[{"namespaceSelector":{"matchExpressions":[{"key":"env","operator":"NotIn","values":[]}]}}]}]}""", "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values", "non-empty for operator NotIn" },
        { "Exists with values", """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"Exists","values":["a"]}]}}""", "spec.podSelector.matchExpressions[0].values", "must be empty for operator Exists" },
        { "unknown operator", """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"Equals","values":["a"]}]}}""", "spec.podSelector.matchExpressions[0].operator", "unsupported value \"Equals\"" },
        { "missing operator", """{"podSelector":{"matchExpressions":[{"key":"tier"}]}}""", "spec.podSelector.matchExpressions[0].operator", "unsupported value" },
        { "missing key", """{"podSelector":{"matchExpressions":[{"operator":"Exists"}]}}""", "spec.podSelector.matchExpressions[0].key", "required" },
        { "value that is not a string", """{"podSelector":{"matchExpressions":[{"key":"v","operator":"In","values":[1]}]}}""", "spec.podSelector.matchExpressions[0].values[0]", "must be a string, not the number 1" },
        { "string where a selector mapping is expected", """{"podSelector":"app=web"}""", "spec.podSelector", "must be a mapping, not a string" },
        { "list where a selector mapping is expected", """{"ingress":[{"from":[{"namespaceSelector":[]}]}]}""", "spec.ingress[0].from[0].namespaceSelector", "must be a mapping, not a list" },
        { "mapping where the rule list is expected", """{"ingress":{"from":[]}}""", "spec.ingress", "must be a list, not a mapping" },
        { "string where a rule is expected", """{"egress":["all"]}""", "spec.egress[0]", "must be a mapping, not a string" },
        { "string where a port entry is expected", """{"ingress":[{"ports":["80"]}]}""", "spec.ingress[0].ports[0]", "must be a mapping" },
        { "matchLabels value that is a number", """{"podSelector":{"matchLabels":{"version":1}}}""", "spec.podSelector.matchLabels.version", "must be a string, not the number 1" },
        { "matchLabels value that is a boolean", """{"podSelector":{"matchLabels":{"enabled":true}}}""", "spec.podSelector.matchLabels.enabled", "not the boolean true" },
        { "matchLabels that is a list", """{"podSelector":{"matchLabels":["app=web"]}}""", "spec.podSelector.matchLabels", "must be a mapping" },
        { "unsupported policy type", """{"policyTypes":["ingress"]}""", "spec.policyTypes[0]", "must be Ingress or Egress" },
        { "policyTypes that is a string", """{"policyTypes":"Ingress"}""", "spec.policyTypes", "must be a list" },
        { "spec that is a list", """[]""", "spec", "must be a mapping" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void Invalid_spec_is_an_error_naming_the_field(string behaviour, string spec, string path, string problem)
    {
        var error = Assert.Throws<PolicyFormatException>(() => Policies.Spec(spec));

        Assert.True(error.Path == path, $"{behaviour}: expected the error at {path}, got {error.Message}");
        Assert.Contains(problem, error.Problem);
        Assert.Equal($"{path}: {error.Problem}", error.Message);
    }

    public static TheoryData<string, string, string, string> BadObjects => new()
    {
        { "object that is a list", """[]""", "(object)", "must be a mapping" },
        { "metadata that is a string", """{"metadata":"web","spec":{}}""", "metadata", "must be a mapping" },
        { "name that is a number", """{"metadata":{"name":7},"spec":{}}""", "metadata.name", "must be a string" },
        { "namespace that is a list", """{"metadata":{"name":"web","namespace":[]},"spec":{}}""", "metadata.namespace", "must be a string" },
        { "label value that is a number", """{"metadata":{"name":"web","labels":{"tier":3}},"spec":{}}""", "metadata.labels.tier", "must be a string, not the number 3" },
        { "annotations that are a list", """{"metadata":{"name":"web","annotations":["a"]},"spec":{}}""", "metadata.annotations", "must be a mapping" },
    };

    [Theory]
    [MemberData(nameof(BadObjects))]
    public void Invalid_object_is_an_error_naming_the_field(string behaviour, string json, string path, string problem)
    {
        var error = Assert.Throws<PolicyFormatException>(() => Policies.Read(json));

        Assert.True(error.Path == path, $"{behaviour}: expected the error at {path}, got {error.Message}");
        Assert.Contains(problem, error.Problem);
    }
}
