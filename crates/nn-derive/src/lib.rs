//! `#[derive(Module)]` for [tapegrad-nn](https://docs.rs/tapegrad-nn): generates a struct's
//! `Module` implementation from its fields (submodules, parameters and buffers, with PyTorch's
//! dotted names), leaving only `forward` to write. Use it through `tapegrad_nn::Module` (the
//! derive and the trait share the name, as serde's do); the attribute syntax is documented
//! there.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::{
    parse_macro_input, spanned::Spanned, Data, DeriveInput, Fields, GenericArgument, LitBool,
    LitStr, Path, PathArguments, Type, TypeParamBound,
};

/// Derives `tapegrad_nn::Module` (see that trait's documentation for the attributes).
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// What a field is.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Child,
    Param,
    Buffer { persistent: bool },
    Skip,
}

/// How a field holds its module(s) or tensor(s), read from the outermost type's name.
#[derive(Clone, Copy)]
enum Shape {
    One,
    Option,
    Vec,
}

#[derive(Default)]
struct StructOptions {
    name: Option<LitStr>,
    element: Option<Type>,
    no_forward: bool,
    krate: Option<Path>,
}

fn struct_options(input: &DeriveInput) -> syn::Result<StructOptions> {
    let mut o = StructOptions::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("module")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                o.name = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("element") {
                o.element = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("no_forward") {
                o.no_forward = true;
            } else if meta.path.is_ident("crate") {
                let s: LitStr = meta.value()?.parse()?;
                o.krate = Some(s.parse()?);
            } else {
                return Err(meta.error(
                    "unknown #[module(..)] option on a struct: expected `name = \"..\"`, \
                     `element = TYPE`, `no_forward` or `crate = \"path\"`",
                ));
            }
            Ok(())
        })?;
    }
    Ok(o)
}

fn field_kind(field: &syn::Field) -> syn::Result<Kind> {
    let mut kind = None;
    let mut persistent = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("module")) {
        attr.parse_nested_meta(|meta| {
            let set = |k: Kind, kind: &mut Option<Kind>| {
                if kind.is_some() {
                    return Err(meta.error(
                        "a field is one of `param`, `buffer`, `skip` or (no attribute) a submodule",
                    ));
                }
                *kind = Some(k);
                Ok(())
            };
            if meta.path.is_ident("param") || meta.path.is_ident("parameter") {
                set(Kind::Param, &mut kind)
            } else if meta.path.is_ident("buffer") {
                set(Kind::Buffer { persistent: true }, &mut kind)
            } else if meta.path.is_ident("skip") {
                set(Kind::Skip, &mut kind)
            } else if meta.path.is_ident("child") || meta.path.is_ident("module") {
                set(Kind::Child, &mut kind)
            } else if meta.path.is_ident("persistent") {
                let b: LitBool = meta.value()?.parse()?;
                persistent = Some(b.value);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown #[module(..)] option on a field: expected `param`, `buffer`, \
                     `buffer, persistent = false` or `skip`",
                ))
            }
        })?;
    }
    let kind = kind.unwrap_or(Kind::Child);
    match (kind, persistent) {
        (Kind::Buffer { .. }, Some(p)) => Ok(Kind::Buffer { persistent: p }),
        (_, Some(_)) => Err(syn::Error::new(
            field.span(),
            "`persistent = ..` only applies to `#[module(buffer, persistent = false)]`",
        )),
        (k, None) => Ok(k),
    }
}

fn shape_of(ty: &Type) -> Shape {
    if let Type::Path(p) = ty {
        if let Some(last) = p.path.segments.last() {
            let one_arg = matches!(&last.arguments, PathArguments::AngleBracketed(a)
                if a.args.len() == 1 && matches!(a.args[0], GenericArgument::Type(_)));
            if one_arg && last.ident == "Option" {
                return Shape::Option;
            }
            if one_arg && last.ident == "Vec" {
                return Shape::Vec;
            }
        }
    }
    Shape::One
}

/// The crate path the generated code names: `#[module(crate = "..")]`, else `::tapegrad_nn`
/// when the compiled package depends on `tapegrad-nn` (or is it), else `::tapegrad::nn` when it
/// depends on the `tapegrad` facade only.
/// The code visiting each value a field holds, for its [`Shape`]: `push(value, name)` once
/// for a plain field (named `name`), once inside `if let Some(..)` for an `Option`, and per
/// element of a `Vec` (named `name.i`). `push` gets the value as a reference expression and
/// the name as a `String` expression.
fn for_each_value(
    shape: Shape,
    member: &syn::Member,
    name: &str,
    push: impl Fn(TokenStream2, TokenStream2) -> TokenStream2,
) -> TokenStream2 {
    match shape {
        Shape::One => push(
            quote!(&self.#member),
            quote!(::std::string::String::from(#name)),
        ),
        Shape::Option => {
            let p = push(quote!(__v), quote!(::std::string::String::from(#name)));
            quote!(if let ::core::option::Option::Some(__v) = &self.#member { #p })
        }
        Shape::Vec => {
            let p = push(quote!(__v), quote!(::std::format!("{}.{}", #name, __i)));
            quote!(for (__i, __v) in self.#member.iter().enumerate() { #p })
        }
    }
}

fn crate_path(o: &StructOptions) -> TokenStream2 {
    if let Some(p) = &o.krate {
        return quote!(#p);
    }
    let manifest = std::env::var("CARGO_MANIFEST_DIR")
        .ok()
        .and_then(|d| std::fs::read_to_string(std::path::Path::new(&d).join("Cargo.toml")).ok())
        .unwrap_or_default();
    let facade_only = !manifest.contains("tapegrad-nn")
        && !manifest.contains("tapegrad_nn")
        && manifest.contains("tapegrad");
    if facade_only {
        quote!(::tapegrad::nn)
    } else {
        quote!(::tapegrad_nn)
    }
}

fn expand(input: DeriveInput) -> syn::Result<TokenStream2> {
    let opts = struct_options(&input)?;
    let krate = crate_path(&opts);
    let fields =
        match &input.data {
            Data::Struct(s) => &s.fields,
            _ => return Err(syn::Error::new(
                input.ident.span(),
                "#[derive(Module)] only supports structs (a module's fields are its submodules, \
                 parameters and buffers)",
            )),
        };
    // The element type: `#[module(element = ..)]`, else the type parameter bounded by
    // `Element`, else f32.
    let element: TokenStream2 = if let Some(t) = &opts.element {
        quote!(#t)
    } else if let Some(p) = input.generics.type_params().find(|p| {
        p.bounds.iter().any(|b| {
            matches!(b, TypeParamBound::Trait(t)
                if t.path.segments.last().is_some_and(|s| s.ident == "Element"))
        })
    }) {
        let id = &p.ident;
        quote!(#id)
    } else {
        quote!(f32)
    };

    let mut children = vec![];
    let mut params = vec![];
    let mut buffers = vec![];
    let mut non_persistent = vec![];
    let members: Vec<(syn::Member, String, &syn::Field)> = match fields {
        Fields::Named(f) => f
            .named
            .iter()
            .map(|f| {
                let id = f.ident.clone().expect("named field");
                let name = id.to_string();
                let name = name.strip_prefix("r#").unwrap_or(&name).to_string();
                (syn::Member::Named(id), name, f)
            })
            .collect(),
        Fields::Unnamed(f) => f
            .unnamed
            .iter()
            .enumerate()
            .map(|(i, f)| (syn::Member::Unnamed(i.into()), i.to_string(), f))
            .collect(),
        Fields::Unit => vec![],
    };
    for (member, name, field) in &members {
        let kind = field_kind(field)?;
        let shape = shape_of(&field.ty);
        let span = field.ty.span();
        match kind {
            Kind::Skip => {}
            Kind::Child => {
                let push = |m: TokenStream2, n: TokenStream2| quote::quote_spanned!(span=> __out.push((#n, #m as &dyn #krate::Module<#element>)););
                children.push(for_each_value(shape, member, name, push));
            }
            Kind::Param | Kind::Buffer { .. } => {
                let push = |t: TokenStream2, n: TokenStream2| quote::quote_spanned!(span=> __out.push((#n, <#krate::__private::Tensor<#element> as ::core::clone::Clone>::clone(#t))););
                let code = for_each_value(shape, member, name, push);
                match kind {
                    Kind::Param => params.push(code),
                    Kind::Buffer { persistent } => {
                        if !persistent {
                            non_persistent.push(code.clone());
                        }
                        buffers.push(code);
                    }
                    _ => unreachable!(),
                }
            }
        }
    }

    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let type_name = opts.name.as_ref().map(|n| {
        quote! {
            fn type_name(&self) -> ::std::string::String { ::std::string::String::from(#n) }
        }
    });
    let guard = format_ident!("DeriveModuleNeedsAnInherentForwardOn{}", ident);
    let forward = if opts.no_forward {
        let msg = format!(
            "{ident} has no single-input forward (#[module(no_forward)]): call its own \
             `forward` method with all of its inputs"
        );
        quote! {
            fn forward(&self, _input: &#krate::__private::Tensor<#element>) -> #krate::__private::Tensor<#element> {
                ::core::panic!(#msg)
            }
        }
    } else {
        // `Self::forward` names the user's inherent method (inherent items come first). If
        // there is none, the guard trait makes the path ambiguous with `Module::forward` (or, if
        // `Module` is not imported, ill-typed): a compile error instead of endless recursion.
        quote! {
            fn forward(&self, input: &#krate::__private::Tensor<#element>) -> #krate::__private::Tensor<#element> {
                #[allow(non_camel_case_types, dead_code)]
                trait #guard { fn forward(&self, _write_an_inherent_forward: ::core::convert::Infallible) {} }
                impl<__X: ?::core::marker::Sized> #guard for __X {}
                Self::forward(self, input)
            }
        }
    };
    let non_persistent_fn = if non_persistent.is_empty() {
        quote!()
    } else {
        quote! {
            fn non_persistent_buffer_names(&self) -> ::std::vec::Vec<::std::string::String> {
                let mut __out: ::std::vec::Vec<(::std::string::String, #krate::__private::Tensor<#element>)> = ::std::vec::Vec::new();
                #(#non_persistent)*
                __out.into_iter().map(|(__n, _)| __n).collect()
            }
        }
    };
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Module<#element> for #ident #ty_generics #where_clause {
            #forward
            fn named_children(&self) -> ::std::vec::Vec<(::std::string::String, &dyn #krate::Module<#element>)> {
                let mut __out: ::std::vec::Vec<(::std::string::String, &dyn #krate::Module<#element>)> = ::std::vec::Vec::new();
                #(#children)*
                __out
            }
            fn named_own_parameters(&self) -> ::std::vec::Vec<(::std::string::String, #krate::__private::Tensor<#element>)> {
                let mut __out: ::std::vec::Vec<(::std::string::String, #krate::__private::Tensor<#element>)> = ::std::vec::Vec::new();
                #(#params)*
                __out
            }
            fn named_own_buffers(&self) -> ::std::vec::Vec<(::std::string::String, #krate::__private::Tensor<#element>)> {
                let mut __out: ::std::vec::Vec<(::std::string::String, #krate::__private::Tensor<#element>)> = ::std::vec::Vec::new();
                #(#buffers)*
                __out
            }
            #non_persistent_fn
            #type_name
        }
    })
}
