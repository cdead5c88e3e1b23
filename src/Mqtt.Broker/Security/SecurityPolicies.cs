namespace Mqtt.Broker;

/// <summary>Who may use a plain CONNECT password (SECURITY.md section 1, <c>--plain-passwords</c>).</summary>
public enum PlainPasswordPolicy
{
    /// <summary>Never: only SCRAM (and the registration method).</summary>
    Never,

    /// <summary>Only on TLS listeners, where the password is not in clear on the wire. The default.</summary>
    Tls,

    /// <summary>On every listener.</summary>
    Always,
}

/// <summary>Whether unknown users may register themselves (SECURITY.md section 2, <c>--registration</c>).</summary>
public enum RegistrationPolicy
{
    /// <summary>Anyone may register a free name. The default.</summary>
    Open,

    /// <summary>Only administrators add users (<c>mqttcore user add</c>).</summary>
    Closed,
}
