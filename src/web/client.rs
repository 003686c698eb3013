//! Who the client is behind reverse proxies: `X-Forwarded-For` (which nginx, HAProxy,
//! Traefik and load balancers append to), believed only from a trusted peer, read from
//! the right (the hop nearest to us) past every trusted proxy to the first address that
//! is not one. Every line of the header counts, in order (a proxy may add its own line
//! after the client's). A hop that is not an address ends the walk: the client is then
//! the nearest proxy, never a value the client could have written.

use ipnet::IpNet;
use std::net::IpAddr;

/// The client's address given the peer that connected and the `X-Forwarded-For` lines.
/// (IPv4 clients of a socket bound to `[::]` arrive as `::ffff:a.b.c.d`: compared and
/// named as the IPv4 addresses they are.)
pub fn client<'a>(
    peer: IpAddr,
    x_forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<Option<IpAddr>> =
        x_forwarded_for.into_iter().flat_map(|line| line.split(',')).map(|hop| address(hop.trim())).collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => nearest = *ip,
            Some(ip) => return *ip,
            None => return nearest,
        }
    }
    nearest
}

/// An address as proxies write it: `192.0.2.60`, `192.0.2.60:4711`, `[2001:db8::17]:4711`,
/// `2001:db8::17`. Anything else (`unknown`, a name) is none.
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
        assert_eq!(client(ip("203.0.113.9"), ["198.51.100.1"], &trusted), ip("203.0.113.9"));
        assert_eq!(client(ip("203.0.113.9"), ["198.51.100.1"], &[]), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = nets(&["10.0.0.5/32", "10.0.0.3/32"]);
        // A client that sends its own X-Forwarded-For cannot choose its address.
        assert_eq!(client(ip("10.0.0.5"), ["1.2.3.4, 198.51.100.7, 10.0.0.3"], &trusted), ip("198.51.100.7"));
        // Nor when the proxy adds a line of its own after the client's.
        assert_eq!(client(ip("10.0.0.5"), ["1.2.3.4", "198.51.100.7"], &trusted), ip("198.51.100.7"));
        assert_eq!(client(ip("10.0.0.5"), [], &trusted), ip("10.0.0.5"), "no header: the peer");
        // A hop that is no address ends the walk at the nearest proxy.
        assert_eq!(client(ip("10.0.0.5"), ["1.2.3.4, unknown, 10.0.0.3"], &trusted), ip("10.0.0.3"));
        assert_eq!(client(ip("10.0.0.5"), ["garbage"], &trusted), ip("10.0.0.5"));
    }

    #[test]
    fn an_ipv4_peer_on_an_ipv6_socket_is_its_ipv4_address() {
        let trusted = nets(&["127.0.0.0/8"]);
        assert_eq!(client(ip("::ffff:127.0.0.1"), ["198.51.100.7"], &trusted), ip("198.51.100.7"));
        assert_eq!(client(ip("::ffff:203.0.113.9"), [], &[]), ip("203.0.113.9"));
    }

    #[test]
    fn hops_are_read_with_ports_brackets_and_ipv6() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client(ip("10.1.1.1"), ["[2001:db8:cafe::17]:4711"], &trusted), ip("2001:db8:cafe::17"));
        assert_eq!(client(ip("10.1.1.1"), ["192.0.2.60:4711"], &trusted), ip("192.0.2.60"));
        assert_eq!(client(ip("10.1.1.1"), ["2001:db8::1"], &trusted), ip("2001:db8::1"));
    }
}
