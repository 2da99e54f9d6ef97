//! Password rules. Hashing is bcrypt (see `services::accounts`); this is the policy only.

pub const MIN_PASSWORD_LEN: usize = 8;

pub fn check_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!("the password must be at least {MIN_PASSWORD_LEN} characters long"));
    }
    // bcrypt only looks at the first 72 bytes; longer passwords would silently collide.
    if password.len() > 72 {
        return Err("the password must be at most 72 bytes long".into());
    }
    Ok(())
}

/// Usernames as nuget.org allows them: letters, digits, '.', '-', '_', 1..=64, starting with a letter or digit.
pub fn check_username(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if valid {
        Ok(())
    } else {
        Err(format!(
            "'{name}' is not a valid username: use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit"
        ))
    }
}

pub fn check_email(email: &str) -> Result<(), String> {
    let mut parts = email.split('@');
    let ok = matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None)
        if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !email.contains(char::is_whitespace));
    if ok {
        Ok(())
    } else {
        Err(format!("'{email}' is not a valid email address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_length_rules() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough").is_ok());
        assert!(check_strength(&"x".repeat(73)).is_err());
    }

    #[test]
    fn usernames_and_emails() {
        assert!(check_username("alice").is_ok());
        assert!(check_username("a.b-c_d").is_ok());
        assert!(check_username(".alice").is_err());
        assert!(check_username("al ice").is_err());
        assert!(check_email("a@example.com").is_ok());
        assert!(check_email("a@b").is_err());
        assert!(check_email("a b@example.com").is_err());
    }
}
