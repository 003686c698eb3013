//! Who the client is behind reverse proxies: `Forwarded` (RFC 7239) or
//! `X-Forwarded-For`, believed only from a trusted peer, read from the right (the hop
//! nearest to us) past every trusted proxy to the first address that is not one.

use ipnet::IpNet;
use std::net::IpAddr;

/// The client's address given the peer that connected and the forwarding headers.
/// (IPv4 clients of a socket bound to `[::]` arrive as `::ffff:a.b.c.d`: compared and
/// named as the IPv4 addresses they are.)
pub fn client(
    peer: IpAddr,
    forwarded: Option<&str>,
    x_forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = match (forwarded, x_forwarded_for) {
        (Some(header), _) => forwarded_for(header),
        (None, Some(header)) => header.split(',').filter_map(|hop| address(hop.trim())).collect(),
        (None, None) => Vec::new(),
    };
    // Past every trusted proxy; a list of trusted ones only names the first hop.
    hops.iter().rev().find(|ip| !is_trusted(ip)).or(hops.first()).copied().unwrap_or(peer)
}

/// The `for=` addresses of a `Forwarded` header, in order.
fn forwarded_for(header: &str) -> Vec<IpAddr> {
    header
        .split(',')
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
        .filter_map(|(_, value)| address(value.trim().trim_matches('"')))
        .collect()
}

/// An address as proxies write it: `192.0.2.60`, `192.0.2.60:4711`, `[2001:db8::17]:4711`,
/// `2001:db8::17`. Obfuscated names (`_hidden`, `unknown`) are none.
fn address(text: &str) -> Option<IpAddr> {
    let parsed: Option<IpAddr> = if let Ok(ip) = text.parse() {
        Some(ip)
    } else if let Some(rest) = text.strip_prefix('[') {
        rest.split(']').next()?.parse().ok()
    } else {
        text.rsplit_once(':').and_then(|(host, _port)| host.parse().ok())
    };
    parsed.map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = nets(&["10.0.0.0/24"]);
        assert_eq!(client(ip("203.0.113.9"), None, Some("198.51.100.1"), &trusted), ip("203.0.113.9"));
        assert_eq!(client(ip("203.0.113.9"), Some("for=198.51.100.1"), None, &[]), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = nets(&["10.0.0.0/24"]);
        // A client that sends its own X-Forwarded-For cannot choose its address.
        let header = "1.2.3.4, 198.51.100.7, 10.0.0.3";
        assert_eq!(client(ip("10.0.0.5"), None, Some(header), &trusted), ip("198.51.100.7"));
        assert_eq!(client(ip("10.0.0.5"), None, None, &trusted), ip("10.0.0.5"), "no header: the peer");
        assert_eq!(client(ip("10.0.0.5"), None, Some("garbage"), &trusted), ip("10.0.0.5"));
    }

    #[test]
    fn an_ipv4_peer_on_an_ipv6_socket_is_its_ipv4_address() {
        let trusted = nets(&["127.0.0.0/8"]);
        assert_eq!(client(ip("::ffff:127.0.0.1"), None, Some("198.51.100.7"), &trusted), ip("198.51.100.7"));
        assert_eq!(client(ip("::ffff:203.0.113.9"), None, None, &[]), ip("203.0.113.9"));
    }

    #[test]
    fn the_forwarded_header_is_read_with_ports_quotes_and_ipv6() {
        let trusted = nets(&["10.0.0.0/8"]);
        let header = r#"for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1"#;
        assert_eq!(client(ip("10.1.1.1"), Some(header), Some("9.9.9.9"), &trusted), ip("2001:db8:cafe::17"));
        assert_eq!(client(ip("10.1.1.1"), Some("for=192.0.2.60:4711"), None, &trusted), ip("192.0.2.60"));
        assert_eq!(client(ip("10.1.1.1"), Some("for=_hidden"), None, &trusted), ip("10.1.1.1"));
    }
}
